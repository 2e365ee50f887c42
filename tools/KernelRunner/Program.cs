using System.CommandLine;
using KernelRunner;

var smp = new Option<string>("--smp") { Description = "QEMU -smp value, e.g. 4 or 8,sockets=2,cores=2,threads=2", DefaultValueFactory = _ => "4" };
var machine = new Option<string>("--machine") { Description = "QEMU machine type", DefaultValueFactory = _ => "q35" };
machine.AcceptOnlyFromAmong("q35", "pc");
var cpu = new Option<string>("--cpu") { Description = "QEMU CPU model, e.g. qemu64, Haswell, EPYC (TCG warns about the features it drops)", DefaultValueFactory = _ => "qemu64" };
var noPit = new Option<bool>("--no-pit") { Description = "a machine without the i8254 PIT (-machine ...,pit=off)" };
var noSerial = new Option<bool>("--no-serial") { Description = "no serial port (-serial none): the screen only; the QEMU monitor takes the terminal" };
var uefi = new Option<bool>("--uefi") { Description = "boot through OVMF instead of SeaBIOS" };
var memory = new Option<string>("--memory") { Description = "guest RAM", DefaultValueFactory = _ => "256M" };
var gdb = new Option<bool>("--gdb") { Description = "start halted with a gdb stub on localhost:1234" };
var cmdline = new Option<string>("--cmdline") { Description = "kernel options, e.g. \"selftest=heap\"", DefaultValueFactory = _ => "" };
var hotplug = new Option<bool>("--hotplug") { Description = $"leave free CPU slots (-smp N,maxcpus={HotplugSlots.MaxCpus}) and print how to plug CPUs in and out" };
var iso = new Option<FileInfo?>("--iso") { Description = "ISO to boot (default: <repo>/artifacts/boot/kernel.iso)" };
var qemuArgs = new Argument<string[]>("qemu-args") { Description = "extra QEMU arguments, after --", Arity = ArgumentArity.ZeroOrMore };

var run = new Command("run", "Boot the kernel ISO in QEMU on this terminal") { smp, machine, cpu, noPit, noSerial, uefi, memory, gdb, hotplug, cmdline, iso, qemuArgs };
run.SetAction(parsed =>
{
    if (BootTarget.Find(parsed.GetValue(iso), out var problem) is not (var repo, var isoPath))
        return Fail(problem);

    var options = new QemuOptions
    {
        Smp = parsed.GetValue(hotplug) ? HotplugSlots.WithFreeSlots(parsed.GetValue(smp)!) : parsed.GetValue(smp)!,
        Machine = parsed.GetValue(machine)!,
        Cpu = parsed.GetValue(cpu)!,
        Pit = !parsed.GetValue(noPit),
        SerialPort = !parsed.GetValue(noSerial),
        Uefi = parsed.GetValue(uefi),
        Memory = parsed.GetValue(memory)!,
        KernelCmdline = parsed.GetValue(cmdline)!,
        Gdb = parsed.GetValue(gdb),
        ExtraArgs = parsed.GetValue(qemuArgs) ?? [],
        IsoPath = isoPath,
        QmpSocketPath = parsed.GetValue(hotplug) ? HotplugSlots.QmpSocketPath() : null,
    };

    IReadOnlyList<string> argv;
    try
    {
        argv = QemuCommand.Build(options, QemuMode.Interactive);
    }
    catch (FileNotFoundException missingFirmware)
    {
        return Fail(missingFirmware.Message);
    }

    Console.WriteLine(QemuCommand.ToShellLine(argv));
    Console.WriteLine(options.SerialPort ? "Ctrl-A X quits QEMU, Ctrl-A C switches to its monitor." : "No serial port: this terminal is QEMU's monitor ('quit' ends it).");
    if (options.Gdb)
    {
        // tools/gdb/kernel.gdb sets the architecture, attaches to QEMU's stub and defines `cpus`, `percpu` and `csstr`.
        // The kernel is identity-mapped, so the ELF's link addresses are its run-time addresses.
        var gdbScript = Path.Combine(repo.Root, "tools", "gdb", "kernel.gdb");
        Console.WriteLine("QEMU waits for gdb on localhost:1234. In another terminal:");
        Console.WriteLine("  " + QemuCommand.ToShellLine(["gdb", "-q", "-ex", $"file {repo.KernelElf}", "-x", gdbScript]));
        // Under TCG QEMU keeps gdb's breakpoints itself instead of writing int3 into guest memory, so a 'break' set
        // before GRUB has loaded the kernel survives the load (with KVM only 'hbreak' would).
        Console.WriteLine("then e.g. 'break kmain', 'break Kernel_Kernel_Smp_SmpBoot__ApEntry' (ilc's name for Kernel.Smp.SmpBoot.ApEntry)");
        Console.WriteLine("or 'break Scheduler.cs:LINE', and 'continue'. 'cpus' lists the vCPUs (one gdb thread each).");
    }

    if (parsed.GetValue(hotplug))
        foreach (var line in HotplugSlots.Instructions(options))
            Console.WriteLine(line);

    var exit = QemuRunner.RunInteractive(options);
    Console.WriteLine();
    Console.WriteLine($"QEMU exited: {exit.Description}");
    return exit.Status ?? 1;
});

var root = new RootCommand("Boots the kernel ISO in QEMU the same way the host boot tests do.") { run };
return root.Parse(args).Invoke();

static int Fail(string message)
{
    Console.Error.WriteLine(message);
    return 2;
}

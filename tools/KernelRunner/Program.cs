using System.CommandLine;
using KernelRunner;

var smp = new Option<string>("--smp") { Description = "QEMU -smp value, e.g. 4 or 8,sockets=2,cores=2,threads=2", DefaultValueFactory = _ => "4" };
var machine = new Option<string>("--machine") { Description = "QEMU machine type", DefaultValueFactory = _ => "q35" };
machine.AcceptOnlyFromAmong("q35", "pc");
var uefi = new Option<bool>("--uefi") { Description = "boot through OVMF instead of SeaBIOS" };
var memory = new Option<string>("--memory") { Description = "guest RAM", DefaultValueFactory = _ => "256M" };
var gdb = new Option<bool>("--gdb") { Description = "start halted with a gdb stub on localhost:1234" };
var cmdline = new Option<string>("--cmdline") { Description = "kernel options, e.g. \"selftest=heap\"", DefaultValueFactory = _ => "" };
var iso = new Option<FileInfo?>("--iso") { Description = "ISO to boot (default: <repo>/artifacts/boot/kernel.iso)" };
var qemuArgs = new Argument<string[]>("qemu-args") { Description = "extra QEMU arguments, after --", Arity = ArgumentArity.ZeroOrMore };

var run = new Command("run", "Boot the kernel ISO in QEMU on this terminal") { smp, machine, uefi, memory, gdb, cmdline, iso, qemuArgs };
run.SetAction(parsed =>
{
    if (BootTarget.Find(parsed.GetValue(iso), out var problem) is not (var repo, var isoPath))
        return Fail(problem);

    var options = new QemuOptions
    {
        Smp = parsed.GetValue(smp)!,
        Machine = parsed.GetValue(machine)!,
        Uefi = parsed.GetValue(uefi),
        Memory = parsed.GetValue(memory)!,
        KernelCmdline = parsed.GetValue(cmdline)!,
        Gdb = parsed.GetValue(gdb),
        ExtraArgs = parsed.GetValue(qemuArgs) ?? [],
        IsoPath = isoPath,
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
    Console.WriteLine("Ctrl-A X quits QEMU, Ctrl-A C switches to its monitor.");
    if (options.Gdb)
    {
        // The kernel is identity-mapped, so the ELF's link addresses are its run-time addresses.
        Console.WriteLine("QEMU waits for gdb on localhost:1234. Attach with:");
        Console.WriteLine($"  gdb -ex 'set architecture i386:x86-64' -ex 'file {repo.KernelElf}' -ex 'target remote localhost:1234'");
        // GRUB copies the kernel into place after gdb attaches, overwriting any software breakpoint set before.
        Console.WriteLine("then e.g. 'hbreak kmain' and 'continue' (a hardware breakpoint: GRUB would overwrite a 'break').");
    }

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

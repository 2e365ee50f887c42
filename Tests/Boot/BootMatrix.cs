using Kernel.Testing;
using KernelRunner;
using NUnit.Framework;

namespace Kernel.Tests.Boot;

/// <summary>Which emulator boots a configuration.</summary>
public enum Emulator
{
    Qemu,

    /// <summary>Bochs 2.7: its own APIC and CPU models; <see cref="BootConfiguration.Cpu"/> is a Bochs model name, and only <see cref="BootConfiguration.Smp"/> (a CPU count) and <see cref="BootConfiguration.Memory"/> apply.</summary>
    Bochs,
}

/// <summary>
/// One machine the kernel is booted on. <see cref="Name"/> appears in test names and log file names;
/// <see cref="KernelOptions"/> are added to the command line; <see cref="ExpectedCpus"/> is how many CPUs must come online;
/// <see cref="Tests"/> is the <c>selftest=</c> filter (comma-separated prefixes, empty for all). Without a serial
/// port (<see cref="SerialPort"/> false) only QEMU's exit status, i.e. the guest's verdict, can be checked.
/// <see cref="KernelVariant"/> names another build of the kernel than the default (<see cref="RepoLayout.UniprocessorVariant"/>).
/// </summary>
public sealed record BootConfiguration(string Name, string Smp, int ExpectedCpus, string Machine = "q35", bool Uefi = false,
                                       string Memory = "256M", string KernelOptions = "", string Cpu = "qemu64",
                                       bool Pit = true, bool SerialPort = true, string Tests = "", IReadOnlyList<string>? ExtraArgs = null,
                                       Emulator Emulator = Emulator.Qemu, string KernelVariant = "")
{
    public string CommandLine(string testOptions) => KernelOptions.Length == 0 ? testOptions : $"{testOptions} {KernelOptions}";

    /// <summary>The kernel option that runs this configuration's self-tests.</summary>
    public string SelfTestOption => Tests.Length == 0 ? "selftest" : $"selftest={Tests}";

    /// <summary>Whether this configuration runs <paramref name="selfTest"/> ("suite.name"), by the kernel's own filter.</summary>
    public bool Runs(string selfTest)
    {
        var dot = selfTest.IndexOf('.');
        return dot < 0 ? Tests.Length == 0 : TestFilter.Matches(selfTest[..dot], selfTest[(dot + 1)..], Tests);
    }

    public QemuOptions ToQemuOptions(string isoPath, string kernelCmdline, TimeSpan timeout) => new()
    {
        Smp = Smp,
        Machine = Machine,
        Cpu = Cpu,
        Pit = Pit,
        SerialPort = SerialPort,
        Uefi = Uefi,
        Memory = Memory,
        KernelCmdline = kernelCmdline,
        IsoPath = isoPath,
        Timeout = timeout,
        ExtraArgs = ExtraArgs ?? [],
    };

    public BochsOptions ToBochsOptions(string kernelCmdline, TimeSpan timeout) => new()
    {
        Cpus = int.Parse(Smp),
        CpuModel = Cpu,
        MemoryMegabytes = int.Parse(Memory.TrimEnd('M')),
        KernelCmdline = kernelCmdline,
        Timeout = timeout,
    };

    public override string ToString() => Name;
}

/// <summary>
/// The machines the in-guest self-tests run on: a covering design, not a cross product. Every value of every dimension
/// (machine, firmware, CPU model, topology, CPU count, free hot-plug slots, PIT, serial port, kernel CPU options)
/// appears in at least one configuration, and the full suite runs on the ones that differ in what the kernel sees
/// most; large or slow machines run <see cref="SmpSubset"/>. The README's table lists them. Add a line to cover another one.
/// </summary>
public static class BootMatrix
{
    /// <summary>
    /// What the slower machines run: CPU start-up, IPIs and cross-CPU calls, locks, logical hot-plug, code patching,
    /// stop_machine, clocks; not the scheduler and IPC suites, whose cost grows with the CPU count.
    /// </summary>
    public const string SmpSubset = "bootinfo,smp,ipi,sync,hotplug.,alternatives,stopmachine,tsc";

    /// <summary>
    /// What 8 to 16 CPUs run: <see cref="SmpSubset"/> without its tests that take every CPU down in turn or hold them all
    /// (a minute at 16 CPUs under TCG on two host cores); one CPU down-to-UP-and-back round trip stays.
    /// </summary>
    public const string LargeSubset = "bootinfo,smp,ipi,sync,alternatives,tsc,hotplug.RefusesTheBootCpu,hotplug.DownToOne";

    /// <summary>
    /// What a machine runs that differs from another only in how lock waits are done (`pvlocks=off` under QEMU, whose
    /// CPUID names a hypervisor; `pvlocks=on` under Bochs, whose does not): the tortures of locks, IPIs and hot-plug,
    /// and the lock tests.
    /// </summary>
    public const string LockWaitSubset = "locktorture,ipi-storm,hotplug-torture,lockwait,sync";

    /// <summary>
    /// What 288 CPUs run after each hot-plug event (<see cref="BigMachineTests"/>): the tests whose cost grows with the
    /// CPU count, not its square, and that hold no rendezvous of every CPU for long (288 vCPU threads share two host cores).
    /// </summary>
    public const string HugeSubset = "bootinfo,smp,tsc,alternatives.ModeFollows,alternatives.TextMatches,alternatives.FeatureVariants,alternatives.TheX2Apic";

    public static readonly IReadOnlyList<BootConfiguration> All =
    [
        new("smp1", Smp: "1", ExpectedCpus: 1),
        new("smp1-slots", Smp: "1,maxcpus=4", ExpectedCpus: 1),
        new("smp4-maxcpus1", Smp: "4", ExpectedCpus: 1, KernelOptions: "maxcpus=1"),
        new("smp2", Smp: "2", ExpectedCpus: 2),
        new("smp4", Smp: "4", ExpectedCpus: 4),
        new("smp8", Smp: "8", ExpectedCpus: 8),
        new("smp8-2s2c2t", Smp: "8,sockets=2,cores=2,threads=2", ExpectedCpus: 8),
        new("smp8-spinning-waits", Smp: "8", ExpectedCpus: 8, KernelOptions: "pvlocks=off", Tests: LockWaitSubset),
        new("smp4-uefi", Smp: "4", ExpectedCpus: 4, Uefi: true),
        new("smp2-pc", Smp: "2", ExpectedCpus: 2, Machine: "pc", KernelOptions: "test.call-sequence=2147483547"),
        new("smp4-pc", Smp: "4", ExpectedCpus: 4, Machine: "pc"),
        new("smp4-maxcpus2", Smp: "4", ExpectedCpus: 2, KernelOptions: "maxcpus=2"),
        new("smp4-nosmp", Smp: "4", ExpectedCpus: 1, KernelOptions: "nosmp"),
        new("smp4-up-build", Smp: "4", ExpectedCpus: 1, KernelVariant: RepoLayout.UniprocessorVariant),
        new("smp4-haswell-uefi", Smp: "4", ExpectedCpus: 4, Cpu: "Haswell", Uefi: true),
        new("smp4-epyc-pc", Smp: "4", ExpectedCpus: 4, Cpu: "EPYC", Machine: "pc"),
        new("smp4-x2apic", Smp: "4", ExpectedCpus: 4, Cpu: "qemu64,+x2apic"),
        new("smp2-x2apic-noalt", Smp: "2", ExpectedCpus: 2, Cpu: "qemu64,+x2apic", KernelOptions: "noalternatives", Tests: SmpSubset),
        new("smp2-haswell-nox2apic", Smp: "2", ExpectedCpus: 2, Cpu: "Haswell", KernelOptions: "nox2apic", Tests: SmpSubset),
        new("smp4-nopit", Smp: "4", ExpectedCpus: 4, Pit: false),
        new("smp2-nopit-pc-uefi", Smp: "2,maxcpus=6", ExpectedCpus: 2, Pit: false, Machine: "pc", Uefi: true, Tests: SmpSubset),
        new("smp8-4s1c2t-epyc", Smp: "8,sockets=4,cores=1,threads=2", ExpectedCpus: 8, Cpu: "EPYC", Tests: LargeSubset),
        new("smp12-2s3c2t-haswell-pc", Smp: "12,sockets=2,cores=3,threads=2", ExpectedCpus: 12, Cpu: "Haswell", Machine: "pc", Tests: LargeSubset),
        new("smp16-4s2c2t", Smp: "16,sockets=4,cores=2,threads=2", ExpectedCpus: 16, Tests: LargeSubset),
        new("smp2-noserial-pc", Smp: "2", ExpectedCpus: 2, Machine: "pc", SerialPort: false, Tests: SmpSubset),
        new("bochs-smp4", Smp: "4", ExpectedCpus: 4, Cpu: "bx_generic", Emulator: Emulator.Bochs),
        new("bochs-smp4-pvlocks", Smp: "4", ExpectedCpus: 4, Cpu: "bx_generic", KernelOptions: "pvlocks=on", Tests: LockWaitSubset, Emulator: Emulator.Bochs),
        new("bochs-smp2-x2apic-noalt", Smp: "2", ExpectedCpus: 2, Cpu: "corei7_skylake_x", KernelOptions: "noalternatives", Tests: SmpSubset, Emulator: Emulator.Bochs),
        new("smp4-baremetal-uefi", Smp: "4", ExpectedCpus: 4, Cpu: "Haswell", Uefi: true, Pit: false, SerialPort: false),
    ];

    public static IEnumerable<TestFixtureData> Fixtures() =>
        All.Select(configuration => new TestFixtureData(configuration).SetArgDisplayNames(configuration.Name));
}

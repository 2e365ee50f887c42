using KernelRunner;
using NUnit.Framework;

namespace Kernel.Tests.Boot;

/// <summary>
/// One machine the kernel is booted on. <see cref="Name"/> appears in test names and log file names;
/// <see cref="KernelOptions"/> are added to the command line; <see cref="ExpectedCpus"/> is how many CPUs must come online.
/// </summary>
public sealed record BootConfiguration(string Name, string Smp, int ExpectedCpus, string Machine = "q35", bool Uefi = false,
                                       string Memory = "256M", string KernelOptions = "", IReadOnlyList<string>? ExtraArgs = null)
{
    public string CommandLine(string testOptions) => KernelOptions.Length == 0 ? testOptions : $"{testOptions} {KernelOptions}";

    public QemuOptions ToQemuOptions(string isoPath, string kernelCmdline, TimeSpan timeout) => new()
    {
        Smp = Smp,
        Machine = Machine,
        Uefi = Uefi,
        Memory = Memory,
        KernelCmdline = kernelCmdline,
        IsoPath = isoPath,
        Timeout = timeout,
        ExtraArgs = ExtraArgs ?? [],
    };

    public override string ToString() => Name;
}

/// <summary>The machines every in-guest self-test runs on. Add a line to cover another one.</summary>
public static class BootMatrix
{
    public static readonly IReadOnlyList<BootConfiguration> All =
    [
        new("smp1", Smp: "1", ExpectedCpus: 1),
        new("smp1-slots", Smp: "1,maxcpus=4", ExpectedCpus: 1),
        new("smp4-maxcpus1", Smp: "4", ExpectedCpus: 1, KernelOptions: "maxcpus=1"),
        new("smp2", Smp: "2", ExpectedCpus: 2),
        new("smp4", Smp: "4", ExpectedCpus: 4),
        new("smp8", Smp: "8", ExpectedCpus: 8),
        new("smp8-2s2c2t", Smp: "8,sockets=2,cores=2,threads=2", ExpectedCpus: 8),
        new("smp4-uefi", Smp: "4", ExpectedCpus: 4, Uefi: true),
        new("smp2-pc", Smp: "2", ExpectedCpus: 2, Machine: "pc"),
        new("smp4-pc", Smp: "4", ExpectedCpus: 4, Machine: "pc"),
        new("smp4-maxcpus2", Smp: "4", ExpectedCpus: 2, KernelOptions: "maxcpus=2"),
        new("smp4-nosmp", Smp: "4", ExpectedCpus: 1, KernelOptions: "nosmp"),
    ];

    public static IEnumerable<TestFixtureData> Fixtures() =>
        All.Select(configuration => new TestFixtureData(configuration).SetArgDisplayNames(configuration.Name));
}

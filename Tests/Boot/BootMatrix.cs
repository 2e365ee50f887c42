using KernelRunner;
using NUnit.Framework;

namespace Kernel.Tests.Boot;

/// <summary>One machine the kernel is booted on. <see cref="Name"/> appears in test names and log file names.</summary>
public sealed record BootConfiguration(string Name, string Smp, string Machine = "q35", bool Uefi = false, string Memory = "256M")
{
    public QemuOptions ToQemuOptions(string isoPath, string kernelCmdline, TimeSpan timeout) => new()
    {
        Smp = Smp,
        Machine = Machine,
        Uefi = Uefi,
        Memory = Memory,
        KernelCmdline = kernelCmdline,
        IsoPath = isoPath,
        Timeout = timeout,
    };

    public override string ToString() => Name;
}

/// <summary>The machines every in-guest self-test runs on. Add a line to cover another one.</summary>
public static class BootMatrix
{
    public static readonly IReadOnlyList<BootConfiguration> All =
    [
        new("smp1", Smp: "1"),
        new("smp2", Smp: "2"),
        new("smp4", Smp: "4"),
        new("smp4-uefi", Smp: "4", Uefi: true),
        new("smp2-pc", Smp: "2", Machine: "pc"),
    ];

    public static IEnumerable<TestFixtureData> Fixtures() =>
        All.Select(configuration => new TestFixtureData(configuration).SetArgDisplayNames(configuration.Name));
}

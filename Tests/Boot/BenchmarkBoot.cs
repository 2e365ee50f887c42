using System.Text.Json;
using System.Text.RegularExpressions;
using KernelRunner;
using NUnit.Framework;

namespace Kernel.Tests.Boot;

/// <summary>
/// The in-guest benchmarks run to completion and their `BENCH {json}` line is well-formed and complete.
/// Numbers are reported, never asserted: TCG timings say little about hardware.
/// </summary>
[Parallelizable(ParallelScope.Self)]
public sealed partial class BenchmarkBoot
{
    static readonly BootConfiguration Machine = new("bench-smp4", Smp: "4", ExpectedCpus: 4);

    [Test]
    public void BenchmarksReportEveryMeasurement()
    {
        var boot = KernelBoot.Start("bench-smp4", Machine, "bench");
        Assert.That(boot.Run.Exit.Kind, Is.EqualTo(QemuExitKind.AllTestsPassed), boot.Report());
        var line = BenchLine().Match(boot.Run.Serial);
        Assert.That(line.Success, Is.True, $"no BENCH json line\n{boot.Report()}");

        using var json = JsonDocument.Parse(line.Groups["json"].Value);
        var root = json.RootElement;
        Assert.That(root.GetProperty("cpus").GetInt32(), Is.EqualTo(4));
        var results = root.GetProperty("results").EnumerateArray()
            .ToDictionary(r => r.GetProperty("name").GetString()!, r => r.GetProperty("value").GetUInt64());
        foreach (var name in new[] { "spinlock.uncontended", "bkl.uncontended", "spinlock.contended.2cpus", "spinlock.contended.4cpus",
                                     "bkl.contended.4cpus", "ipi.raw_roundtrip", "ipi.callon_roundtrip", "ipi.broadcast_call.4cpus" })
            Assert.That(results, Does.ContainKey(name));
        Assert.That(root.GetProperty("bkl").GetArrayLength(), Is.EqualTo(4), "lock statistics for every CPU");
        foreach (var (name, value) in results)
            TestContext.Out.WriteLine($"{name,-32} {value}");
    }

    [GeneratedRegex(@"BENCH (?<json>\{.*\})\r?$", RegexOptions.Multiline)]
    private static partial Regex BenchLine();
}

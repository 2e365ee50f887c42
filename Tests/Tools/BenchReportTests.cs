using BenchReport;
using KernelRunner;
using NUnit.Framework;

namespace Kernel.Tests.Tools;

/// <summary>`./build.sh bench`'s pure parts on synthetic guest output: the BENCH line, configurations, the table, charts and report.</summary>
public sealed class BenchReportTests
{
    static string BenchLine(int cpus, params (string Name, ulong Value, string Unit)[] results) =>
        $"BENCH {{\"cpus\":{cpus},\"tsc_hz\":2300000000,\"results\":[" +
        string.Join(',', results.Select(r => $"{{\"name\":\"{r.Name}\",\"value\":{r.Value},\"unit\":\"{r.Unit}\"}}")) +
        "],\"bkl\":[{\"cpu\":0,\"acquisitions\":10,\"contended\":2,\"wait_cycles\":300,\"longest_wait\":40}]}";

    static BenchRun Run(BenchConfiguration configuration, params (string Name, ulong Value, string Unit)[] results) =>
        new(configuration, BenchOutput.Parse(BenchLine(configuration.Cpus, results)), null, "ok", 1, "log");

    static BenchRun Failed(BenchConfiguration configuration) => new(configuration, null, "timed out", "timed out", 180, "log");

    [Test]
    public void ParsesTheBenchLineAmongLogLinesWithCrlf()
    {
        var serial = "[    0.010] info  boot: managed SMP kernel starting\r\n" +
                     "BENCH results (2 CPUs, TSC 2300 MHz):\r\n" +
                     BenchLine(2, ("spinlock.uncontended", 350, "cycles/op"), ("bkl.wait_share.2cpus", 280, "0.01%")) + "\r\n";

        var bench = BenchOutput.Parse(serial);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(bench.Cpus, Is.EqualTo(2));
            Assert.That(bench.TscHz, Is.EqualTo(2_300_000_000UL));
            Assert.That(bench.Results, Is.EqualTo(new[]
            {
                new Measurement("spinlock.uncontended", 350, "cycles/op"), new Measurement("bkl.wait_share.2cpus", 280, "0.01%"),
            }));
            Assert.That(bench.Bkl, Is.EqualTo(new[] { new LockStatistics(0, 10, 2, 300, 40) }));
        }
    }

    [Test]
    public void MissingOrMalformedBenchLineIsAFormatErrorSayingWhat()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(() => BenchOutput.Parse("BENCH results (1 CPUs):\n"), Throws.TypeOf<FormatException>().With.Message.Contains("no `BENCH {json}` line"));
            Assert.That(() => BenchOutput.Parse("BENCH {\"cpus\":1}\n"), Throws.TypeOf<FormatException>().With.Message.Contains("malformed BENCH line"));
            Assert.That(() => BenchOutput.Parse("BENCH {\"cpus\":1,\n"), Throws.TypeOf<FormatException>());
        }
    }

    [Test]
    public void DefaultConfigurationsAreTheCpuCountsThenTheUnpatchedBaselineThenTheUniprocessorBuild()
    {
        var configurations = BenchConfiguration.ParseList(BenchConfiguration.DefaultList);

        Assert.That(configurations.Select(c => (c.Label, c.QemuSmp, c.KernelCmdline, c.Mode)), Is.EqualTo(new[]
        {
            ("smp 1", "1,maxcpus=2", "bench", PatchMode.UpPatched),
            ("smp 2", "2", "bench", PatchMode.Smp),
            ("smp 2 pvlocks=off", "2", "bench pvlocks=off", PatchMode.Smp),
            ("smp 4", "4", "bench", PatchMode.Smp),
            ("smp 4 pvlocks=off", "4", "bench pvlocks=off", PatchMode.Smp),
            ("smp 8", "8", "bench", PatchMode.Smp),
            ("smp 8 pvlocks=off", "8", "bench pvlocks=off", PatchMode.Smp),
            ("smp 1 noalt", "1,maxcpus=2", "bench noalternatives", PatchMode.Unpatched),
            ("MaxCpus=1", "1,maxcpus=2", "bench", PatchMode.UniprocessorBuild),
        }));
    }

    [TestCase("0")]
    [TestCase("289-x2apic")]
    [TestCase("288")]
    [TestCase("4-noalt-x2apic")]
    [TestCase("four")]
    [TestCase("2,2")]
    [TestCase("maxcpus1,maxcpus1")]
    [TestCase("maxcpus2")]
    [TestCase("x-noalt")]
    [TestCase("1-pvoff")]
    [TestCase("4-pvoff-noalt")]
    [TestCase("4-noalt-pvoff")]
    [TestCase(" , ")]
    public void RejectsBadConfigurationLists(string list) =>
        Assert.That(() => BenchConfiguration.ParseList(list), Throws.TypeOf<FormatException>());

    [Test]
    public void X2ApicBootsGiveQemuTheFeatureAndBigOnesMeasureTheBringUpOnly()
    {
        var configurations = BenchConfiguration.ParseList("8-x2apic,64,288-x2apic,4-x2apic-noalt");

        Assert.That(configurations.Select(c => (c.Name, c.QemuSmp, c.QemuCpu, c.Memory, c.KernelCmdline)), Is.EqualTo(new[]
        {
            ("smp8-x2apic", "8", "qemu64,+x2apic", "256M", "bench"),
            ("smp64", "64", "qemu64", "256M", "bench=smp"),
            ("smp288-x2apic", "288", "qemu64,+x2apic", "1G", "bench=smp"),
            ("smp4-x2apic-noalt", "4", "qemu64,+x2apic", "256M", "bench noalternatives"),
        }));
    }

    [Test]
    public void AcceptsNoAlternativesOnSeveralCpus() =>
        Assert.That(BenchConfiguration.ParseList("4, 4-noalt").Select(c => c.Name), Is.EqualTo(new[] { "smp4", "smp4-noalt" }));

    [Test]
    public void SpinningWaitsAreTheSameBootWithPvlocksOff() =>
        Assert.That(BenchConfiguration.ParseList("8-pvoff,8-x2apic-pvoff").Select(c => (c.Name, c.QemuCpu, c.KernelCmdline)), Is.EqualTo(new[]
        {
            ("smp8-pvoff", "qemu64", "bench pvlocks=off"),
            ("smp8-x2apic-pvoff", "qemu64,+x2apic", "bench pvlocks=off"),
        }));

    [Test]
    public void ABootCountsOnlyWithACleanExitAndAWellFormedLine()
    {
        var configuration = new BenchConfiguration(2);
        QemuRunResult Result(QemuExit exit, string serial) => new()
        {
            Exit = exit, CommandLine = "qemu", Serial = serial, Stderr = "", Elapsed = TimeSpan.FromSeconds(3),
        };

        var ok = BenchRun.FromQemu(configuration, Result(QemuExit.FromStatus(1), BenchLine(2, ("ipi.raw_roundtrip", 5, "cycles")) + "\n"), "a.log");
        var hung = BenchRun.FromQemu(configuration, Result(QemuExit.TimedOut, "last words\n"), "b.log");
        var panicked = BenchRun.FromQemu(configuration, Result(QemuExit.FromStatus(5), "PANIC on CPU 1: boom\n"), "c.log");
        var silent = BenchRun.FromQemu(configuration, Result(QemuExit.FromStatus(1), "no line\n"), "d.log");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ok.Succeeded, Is.True);
            Assert.That(ok.Value("ipi.raw_roundtrip"), Is.EqualTo(5));
            Assert.That(hung.Error, Does.Contain("timed out").And.Contain("b.log"));
            Assert.That(panicked.Error, Does.Contain("kernel panic").And.Contain("PANIC on CPU 1: boom"));
            Assert.That(silent.Error, Does.Contain("no `BENCH {json}` line"));
            Assert.That(new[] { hung, panicked, silent }.Any(run => run.Succeeded), Is.False);
        }
    }

    [Test]
    public void TableHasOneColumnPerSuccessfulBootAndOrdersRowsByKindThenCpuCount()
    {
        var runs = new[]
        {
            Run(new BenchConfiguration(1), ("spinlock.uncontended", 340, "cycles/op"), ("atomic.fetch_add.up", 9, "cycles/op")),
            Failed(new BenchConfiguration(2)),
            Run(new BenchConfiguration(4), ("spinlock.uncontended", 360, "cycles/op"), ("spinlock.contended.2cpus", 1800, "ops/ms"),
                ("spinlock.contended.10cpus", 3, "ops/ms"), ("atomic.fetch_add.smp", 29, "cycles/op"), ("bkl.wait_share.4cpus", 8067, "0.01%"),
                ("new.metric", 1, "widgets")),
        };

        var table = ResultTable.Build(runs);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(table.Columns, Is.EqualTo(new[] { "smp 1", "smp 4" }));
            Assert.That(table.Rows.Select(r => r.Name), Is.EqualTo(new[]
            {
                "spinlock.uncontended", "atomic.fetch_add.up", "atomic.fetch_add.smp", "spinlock.contended.2cpus", "spinlock.contended.10cpus",
                "bkl.wait_share.4cpus", "new.metric",
            }));
            var share = table.Rows.Single(r => r.Name == "bkl.wait_share.4cpus");
            Assert.That((share.Unit, share.Cell(0), share.Cell(1)), Is.EqualTo(("%", "–", "80.67")));
            Assert.That(table.Rows.Single(r => r.Name == "spinlock.contended.2cpus").Cell(1), Is.EqualTo("1,800"));
        }
    }

    [Test]
    public void DescribesEachKindOfMeasurementWithItsCpuCount()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Metrics.Key("cpu_up.to_3cpus"), Is.EqualTo("cpu_up.to_Ncpus"));
            Assert.That(Metrics.Describe("cpu_up.to_3cpus"), Is.EqualTo("bringing a CPU back online, making 3"));
            Assert.That(Metrics.Describe("spinlock.contended.Ncpus"), Does.StartWith("N CPUs take and release one spinlock"));
            Assert.That(Metrics.Describe("never.heard.of"), Is.Empty);
        }
    }

    [Test]
    public void ChartsTakeScalingFromPlainBootsAndAtomicsInEachBootsOwnMode()
    {
        var up = Run(new BenchConfiguration(1), ("atomic.fetch_add.up", 9, "cycles/op"), ("atomic.fetch_add.smp", 29, "cycles/op"),
                     ("spinlock.uncontended", 340, "cycles/op"), ("ipc.roundtrip.same_cpu", 10_000, "cycles"));
        var smp = Run(new BenchConfiguration(4), ("atomic.fetch_add.smp", 30, "cycles/op"), ("spinlock.contended.3cpus", 90, "ops/ms"),
                      ("spinlock.contended.2cpus", 2000, "ops/ms"), ("bkl.contended.2cpus", 1500, "ops/ms"), ("ipc.roundtrip.same_cpu", 12_000, "cycles"),
                      ("ipc.roundtrip.cross_cpu", 250_000, "cycles"));
        var unpatched = Run(new BenchConfiguration(1, NoAlternatives: true), ("atomic.fetch_add.noalternatives", 31, "cycles/op"),
                            ("ipc.roundtrip.same_cpu", 99_999, "cycles"));
        BenchRun[] runs = [up, smp, unpatched, Failed(new BenchConfiguration(8))];

        var locks = Charts.LockThroughput(runs);
        var ipc = Charts.IpcRoundTrip(runs);
        var atomics = Charts.AtomicCost(runs);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(locks.Series.Select(s => (s.Label, s.Dashed)), Is.EqualTo(new[] { ("spinlock, smp 4 boot", false), ("big kernel lock, smp 4 boot", true) }));
            Assert.That(locks.Series[0].Points, Is.EqualTo(new[] { new Point(2, 2000), new Point(3, 90) }));
            Assert.That(ipc.Series.Single(s => s.Label == "same CPU").Points, Is.EqualTo(new[] { new Point(1, 10_000), new Point(4, 12_000) }));
            Assert.That(ipc.Series.Single(s => s.Label == "cross CPU").Points, Is.EqualTo(new[] { new Point(4, 250_000) }));
            Assert.That(Charts.IpiLatency(runs).Series, Is.Empty, "no boot measured IPIs");
            Assert.That(Charts.LineCharts(runs, hostCores: 2).Select(c => (c.File, c.HostCores)),
                        Is.EqualTo(new[] { ("lock-throughput.png", (int?)2), ("ipc-roundtrip.png", 2) }));
            Assert.That(atomics.Panels[0].Groups.Select(g => (g.Label, g.Values[0])), Is.EqualTo(new[]
            {
                ("smp 1\nUP-patched", (double?)9), ("smp 4\nSMP", 30), ("smp 1 noalt\nunpatched", 31),
            }));
            Assert.That(atomics.Panels[1].Groups[1].Values, Is.EqualTo(new double?[] { null, null }));
        }
    }

    [Test]
    public void ReportHasTheCaveatMetadataTableFailuresPlotsAndExplanations()
    {
        var metadata = new RunMetadata("2025-01-01 00:00:00", "abc123-dirty", "Some CPU", 2, "QEMU emulator version 7.2.0", "SeaBIOS", 180);
        BenchRun[] runs = [Run(new BenchConfiguration(2), ("ipi.raw_roundtrip", 150_000, "cycles")), Failed(new BenchConfiguration(8))];

        var markdown = Report.Markdown(metadata, runs, ResultTable.Build(runs), [("ipi-latency.png", "IPI latency")]);
        var json = Report.ResultsJson(metadata, runs);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(markdown, Does.Contain("not hardware numbers"));
            Assert.That(markdown, Does.Contain("`abc123-dirty`").And.Contain("QEMU emulator version 7.2.0").And.Contain("Some CPU, 2 logical CPUs"));
            Assert.That(markdown, Does.Contain("| measurement | unit | smp 2 |"));
            Assert.That(markdown, Does.Contain("| `ipi.raw_roundtrip` | cycles | 150,000 |"));
            Assert.That(markdown, Does.Contain("## Failed boots").And.Contain("**smp 8**: timed out"));
            Assert.That(markdown, Does.Contain("![IPI latency](ipi-latency.png)"));
            Assert.That(markdown, Does.Contain("- `ipi.raw_roundtrip` (cycles): CPU 0 sends CPU 1 a bare fixed IPI"));
            Assert.That(json, Does.Contain("\"git_commit\": \"abc123-dirty\"").And.Contain("\"qemu_smp\": \"8\"").And.Contain("\"tsc_hz\": 2300000000"));
            Assert.That(json, Does.Contain("\"succeeded\": false"));
        }
    }
}

using BenchReport;
using KernelRunner;
using NUnit.Framework;

namespace Kernel.Tests.Boot;

/// <summary>
/// The in-guest benchmarks run to completion and their `BENCH {json}` line is well-formed and complete, on 4 and
/// on 8 CPUs. Numbers are reported, never asserted: TCG timings say little about hardware.
/// </summary>
[Parallelizable(ParallelScope.Self)]
public sealed class BenchmarkBoot
{
    [TestCase(4)]
    [TestCase(8)]
    public void BenchmarksReportEveryMeasurement(int cpus)
    {
        var name = $"bench-smp{cpus}";
        var boot = KernelBoot.Start(name, new BootConfiguration(name, Smp: cpus.ToString(), ExpectedCpus: cpus), "bench");
        Assert.That(boot.Run.Exit.Kind, Is.EqualTo(QemuExitKind.AllTestsPassed), boot.Report());
        Assert.That(BenchOutput.FindJson(boot.Run.Serial), Is.Not.Null, $"no BENCH json line\n{boot.Report()}");

        var bench = BenchOutput.Parse(boot.Run.Serial);
        Assert.That(bench.Cpus, Is.EqualTo(cpus));
        var missing = ExpectedKeys(cpus).Where(key => bench.Find(key) is null).ToList();
        Assert.That(missing, Is.Empty, $"measurements missing from the BENCH line\n{boot.Report()}");
        Assert.That(bench.Bkl, Has.Count.EqualTo(cpus), "lock statistics for every CPU");
        foreach (var measurement in bench.Results)
            TestContext.Out.WriteLine($"{measurement.Name,-32} {measurement.Value}");
    }

    static IEnumerable<string> ExpectedKeys(int cpus)
    {
        string[] fixedKeys = ["spinlock.uncontended", "bkl.uncontended", "spinlock.contended.2cpus", "ipi.raw_roundtrip", "ipi.callon_roundtrip",
                              "ipc.roundtrip.same_cpu", "ipc.roundtrip.cross_cpu", "sched.context_switch", "ipc.notify.cross_cpu",
                              "gc.alloc.bump", "gc.alloc.object_heap", "gc.new.process", "gc.pause.live_1KiB", "gc.pause.live_16384KiB", "gc.pause.kernel_task"];
        foreach (var key in fixedKeys)
            yield return key;
        yield return $"spinlock.contended.{cpus}cpus";
        yield return $"bkl.contended.{cpus}cpus";
        yield return $"ipi.broadcast_call.{cpus}cpus";
        for (var busy = 1; busy <= cpus && busy <= 8; busy *= 2)
        {
            yield return $"bkl.wait_share.{busy}cpus";
            yield return $"ipc.throughput.{busy}cpus";
            yield return $"gc.throughput_least.{busy}cpus";
        }
    }
}

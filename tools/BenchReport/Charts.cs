namespace BenchReport;

public readonly record struct Point(double X, double Y);

/// <summary>One line: runs of the same <see cref="Group"/> share a colour, a dashed line is the second measurement of a group.</summary>
public sealed record Series(string Label, IReadOnlyList<Point> Points, int Group, bool Dashed = false);

/// <summary><see cref="HostCores"/>: a vertical marker, since past it vCPUs wait for host cores and TCG numbers stop meaning much.</summary>
public sealed record LineChart(string File, string Title, string XLabel, string YLabel, IReadOnlyList<Series> Series, bool LogY, int? HostCores = null);

/// <summary>One cluster of bars: a configuration, with one value per <see cref="BarPanel.SeriesNames"/> entry.</summary>
public sealed record BarGroup(string Label, IReadOnlyList<double?> Values);

/// <summary>One bar plot of a figure, on its own scale.</summary>
public sealed record BarPanel(string Title, IReadOnlyList<string> SeriesNames, IReadOnlyList<BarGroup> Groups);

/// <summary>Bar plots side by side in one image: costs too different in size to share an axis.</summary>
public sealed record BarChart(string File, string Title, string YLabel, IReadOnlyList<BarPanel> Panels);

/// <summary>
/// What the report plots, taken from the boots' measurements. The scaling charts use the plain SMP boots; a chart
/// without any data point (e.g. IPIs when only one-CPU boots ran) is left out.
/// </summary>
public static class Charts
{
    public static IReadOnlyList<LineChart> LineCharts(IReadOnlyList<BenchRun> runs, int hostCores) =>
        new[] { LockThroughput(runs), IpiLatency(runs), IpcRoundTrip(runs), BringUp(runs) }.Where(chart => chart.Series.Count > 0)
            .Select(chart => chart with { HostCores = hostCores })
            .ToList();

    /// <summary>(a) contended lock hand-offs per ms against the number of CPUs hammering, one line per boot and lock.</summary>
    public static LineChart LockThroughput(IReadOnlyList<BenchRun> runs)
    {
        var series = new List<Series>();
        var boots = ScalingRuns(runs, withSpinningWaits: true).Where(run => run.Configuration.Cpus >= 2).ToList();
        for (var i = 0; i < boots.Count; i++)
        {
            var run = boots[i];
            series.AddRange(new[] { ("spinlock", "spinlock.contended.", false), ("big kernel lock", "bkl.contended.", true) }
                .Select(lockKind => new Series($"{lockKind.Item1}, {run.Configuration.Label} boot", Sweep(run, lockKind.Item2), i, lockKind.Item3))
                .Where(s => s.Points.Count > 0));
        }
        return new LineChart("lock-throughput.png", "Contended lock throughput (k CPUs, one lock)", "k: CPUs taking the lock", "lock hand-offs per ms, all CPUs (log scale)",
                             series, LogY: true);
    }

    /// <summary>(b) IPI round trips against the boot's CPU count: bare IPI ping-pong, CallOn, and CallOnAll.</summary>
    public static LineChart IpiLatency(IReadOnlyList<BenchRun> runs) => new("ipi-latency.png", "IPI latency", "CPUs online", "TSC cycles",
        NonEmpty([
            new("raw IPI round trip (CPU 0 ↔ 1)", PerBoot(runs, _ => "ipi.raw_roundtrip"), 0),
            new("CallOn round trip (CPU 0 → 1)", PerBoot(runs, _ => "ipi.callon_roundtrip"), 1),
            new("CallOnAll (every other CPU)", PerBoot(runs, cpus => $"ipi.broadcast_call.{cpus}cpus"), 2),
        ]), LogY: false);

    /// <summary>(e) AP bring-up (first INIT to last arrival) per AP against the boot's CPU count, xAPIC and x2APIC boots.</summary>
    public static LineChart BringUp(IReadOnlyList<BenchRun> runs) => new("bringup.png", "AP bring-up, all APs in parallel", "CPUs online", "µs per AP (log scale)",
        NonEmpty([
            new("xAPIC", ApicModeRuns(runs, x2Apic: false), 0),
            new("x2APIC", ApicModeRuns(runs, x2Apic: true), 1),
        ]), LogY: true);

    static IReadOnlyList<Point> ApicModeRuns(IReadOnlyList<BenchRun> runs, bool x2Apic) =>
        runs.Where(run => run.Succeeded && run.Configuration is { NoAlternatives: false, UniprocessorBuild: false, SpinningWaits: false } && run.Configuration.X2Apic == x2Apic)
            .Select(run => (run.Configuration.Cpus, Value: run.Value("smp.bringup_per_ap")))
            .Where(p => p.Value is not null)
            .OrderBy(p => p.Cpus)
            .Select(p => new Point(p.Cpus, p.Value!.Value / 1000))
            .ToList();

    /// <summary>(c) SendRec round trip on one CPU and across two, against the boot's CPU count.</summary>
    public static LineChart IpcRoundTrip(IReadOnlyList<BenchRun> runs) => new("ipc-roundtrip.png", "IPC round trip (SendRec)", "CPUs online", "TSC cycles (log scale)",
        NonEmpty([
            new("same CPU", PerBoot(runs, _ => "ipc.roundtrip.same_cpu"), 0),
            new("cross CPU", PerBoot(runs, _ => "ipc.roundtrip.cross_cpu"), 1),
        ]), LogY: true);

    /// <summary>(d) what an uncontended atomic and lock round trip cost in each boot: UP-patched, SMP, unpatched and the UP build.</summary>
    public static BarChart AtomicCost(IReadOnlyList<BenchRun> runs)
    {
        var succeeded = runs.Where(run => run.Succeeded && AtomicFetchAdd(run) is not null).ToList();
        IReadOnlyList<BarGroup> Groups(Func<BenchRun, IReadOnlyList<double?>> values) =>
            succeeded.Select(run => new BarGroup($"{run.Configuration.Label}\n{BenchConfiguration.Describe(run.Configuration.Mode)}", values(run))).ToList();
        return new BarChart("atomic-cost.png", "Cost of an atomic operation and an uncontended lock", "TSC cycles per operation",
        [
            new("Atomic.FetchAdd, uncontended", ["Atomic.FetchAdd"], Groups(run => [AtomicFetchAdd(run)])),
            new("Lock round trip, uncontended", ["spinlock take + release", "big kernel lock enter + exit"],
                Groups(run => [run.Value("spinlock.uncontended"), run.Value("bkl.uncontended")])),
        ]);
    }

    /// <summary>The boot's FetchAdd cost in its own mode (a one-CPU boot that keeps its tables also measures the other mode).</summary>
    public static double? AtomicFetchAdd(BenchRun run) => run.Value(run.Configuration.Mode switch
    {
        PatchMode.UpPatched or PatchMode.UniprocessorBuild => "atomic.fetch_add.up",
        PatchMode.Smp => "atomic.fetch_add.smp",
        _ => "atomic.fetch_add.noalternatives",
    });

    // The boots by CPU count: by default one per count, the kernel's own lock-wait choice (LockThroughput draws the
    // pvlocks=off boots as lines of their own).
    static IEnumerable<BenchRun> ScalingRuns(IReadOnlyList<BenchRun> runs, bool withSpinningWaits = false) =>
        runs.Where(run => run.Succeeded && run.Configuration is { NoAlternatives: false, UniprocessorBuild: false, X2Apic: false }
                          && (withSpinningWaits || !run.Configuration.SpinningWaits))
            .OrderBy(run => run.Configuration.Cpus).ThenBy(run => run.Configuration.SpinningWaits);

    static IReadOnlyList<Point> Sweep(BenchRun run, string prefix) =>
        run.Output!.Results.Where(m => m.Name.StartsWith(prefix, StringComparison.Ordinal) && Metrics.CpusIn(m.Name) is not null)
            .Select(m => new Point(Metrics.CpusIn(m.Name)!.Value, m.Value))
            .OrderBy(p => p.X)
            .ToList();

    static IReadOnlyList<Point> PerBoot(IReadOnlyList<BenchRun> runs, Func<int, string> name) =>
        ScalingRuns(runs).Select(run => (run.Configuration.Cpus, Value: run.Value(name(run.Configuration.Cpus))))
            .Where(p => p.Value is not null)
            .Select(p => new Point(p.Cpus, p.Value!.Value))
            .ToList();

    static IReadOnlyList<Series> NonEmpty(IReadOnlyList<Series> series) => series.Where(s => s.Points.Count > 0).ToList();
}

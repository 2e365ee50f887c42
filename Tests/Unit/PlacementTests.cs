using Kernel.Proc;
using Kernel.Smp;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>Placement: choosing a CPU, reschedule IPIs, rebalancing on quantum expiry, stealing, and fairness.</summary>
public class PlacementTests
{
    private static readonly CpuSet Four = CpuSet.FirstN(4);
    private static readonly CpuSet None = new();

    private static CpuSet Cpus(params int[] cpus)
    {
        var set = new CpuSet();
        foreach (var cpu in cpus) set.Add(cpu);
        return set;
    }

    // ChooseCpu

    [Test]
    public void Choose_keeps_the_last_cpu_when_it_is_as_good_as_any()
    {
        Assert.That(Placement.ChooseCpu(Four, Four, 2, new[] { 1, 1, 1, 1 }, None), Is.EqualTo(2));
        Assert.That(Placement.ChooseCpu(Four, Four, 3, new[] { 0, 0, 0, 0 }, Four), Is.EqualTo(3));
    }

    [Test]
    public void Choose_leaves_the_last_cpu_when_it_is_busier()
    {
        Assert.That(Placement.ChooseCpu(Four, Four, 2, new[] { 1, 1, 2, 0 }, None), Is.EqualTo(3));
        // Same queue length, but CPU 1 is idle: an idle CPU counts as less loaded.
        Assert.That(Placement.ChooseCpu(Four, Four, 2, new[] { 0, 0, 0, 0 }, Cpus(1)), Is.EqualTo(1));
    }

    [Test]
    public void Choose_leaves_the_last_cpu_when_it_is_not_allowed_or_not_usable()
    {
        var waiting = new[] { 3, 2, 0, 5 };
        Assert.That(Placement.ChooseCpu(Cpus(0, 1, 3), Four, 2, waiting, None), Is.EqualTo(1));
        Assert.That(Placement.ChooseCpu(Four, Cpus(0, 1, 3), 2, waiting, None), Is.EqualTo(1));
    }

    [TestCase(-1)]
    [TestCase(64)]
    [TestCase(1000)]
    public void Choose_without_a_valid_last_cpu_takes_the_least_loaded(int lastCpu) =>
        Assert.That(Placement.ChooseCpu(Four, Four, lastCpu, new[] { 2, 1, 3, 1 }, None), Is.EqualTo(1));

    [Test]
    public void Choose_prefers_an_idle_cpu_then_the_lowest_numbered()
    {
        Assert.That(Placement.ChooseCpu(Four, Four, -1, new[] { 0, 0, 0, 0 }, Cpus(2, 3)), Is.EqualTo(2));
        Assert.That(Placement.ChooseCpu(Four, Four, -1, new[] { 0, 0, 0, 0 }, None), Is.EqualTo(0));
    }

    [Test]
    public void Choose_fails_when_no_allowed_cpu_is_usable()
    {
        Assert.That(Placement.ChooseCpu(Cpus(0, 1), Cpus(2, 3), 0, new[] { 0, 0, 0, 0 }, Four), Is.EqualTo(-1));
        Assert.That(Placement.ChooseCpu(None, Four, 0, new[] { 0, 0, 0, 0 }, Four), Is.EqualTo(-1));
    }

    [Test]
    public void Choose_reaches_the_last_cpu_of_the_widest_set()
    {
        int last = CpuSet.Capacity - 1;
        var waiting = Enumerable.Repeat(5, CpuSet.Capacity).ToArray();
        waiting[last] = 0;
        var all = CpuSet.FirstN(CpuSet.Capacity);
        Assert.That(Placement.ChooseCpu(all, all, 0, waiting, None), Is.EqualTo(last));
        waiting[last] = 5;
        waiting[300] = 0;
        Assert.That(Placement.ChooseCpu(all, all, 0, waiting, Cpus(300)), Is.EqualTo(300), "beyond the first 64");
    }

    // NeedsIpi

    [TestCase(true, true, 5, 0, false)]    // this CPU: it reschedules on its own
    [TestCase(true, false, 5, 0, false)]
    [TestCase(false, true, 0, 7, true)]    // idle: wake it whatever the priority
    [TestCase(false, false, 5, 3, true)]   // preempts lower-priority work
    [TestCase(false, false, 3, 3, false)]  // equal priority waits its turn
    [TestCase(false, false, 3, 5, false)]
    public void Ipi_only_for_another_cpu_that_is_idle_or_runs_lower_priority(bool self, bool idle, int running, int priority, bool expected) =>
        Assert.That(Placement.NeedsIpi(self, idle, running, priority), Is.EqualTo(expected));

    // RebalanceTarget

    [Test]
    public void Rebalance_moves_to_a_cpu_with_less_waiting()
    {
        Assert.That(Placement.RebalanceTarget(0, Four, Four, new[] { 4, 1, 1, 1 }, None), Is.EqualTo(1));
        Assert.That(Placement.RebalanceTarget(0, Four, Four, new[] { 1, 0, 0, 0 }, Cpus(2)), Is.EqualTo(2));
    }

    [Test]
    public void Rebalance_stays_when_every_other_cpu_has_more_waiting()
    {
        Assert.That(Placement.RebalanceTarget(1, Four, Four, new[] { 3, 2, 3, 4 }, None), Is.EqualTo(1));
        Assert.That(Placement.RebalanceTarget(1, Four, Four, new[] { 0, 0, 0, 0 }, Four), Is.EqualTo(1));
        Assert.That(Placement.RebalanceTarget(0, Cpus(0), Four, new[] { 9, 0, 0, 0 }, Four), Is.EqualTo(0));   // affinity pins it
    }

    [Test]
    public void Rebalance_leaves_a_cpu_it_may_not_stay_on()
    {
        // Affinity no longer includes CPU 0: the best other CPU even though CPU 0 is emptier.
        Assert.That(Placement.RebalanceTarget(0, Cpus(1, 2), Four, new[] { 0, 3, 1, 0 }, None), Is.EqualTo(2));
        // CPU 0 going offline.
        Assert.That(Placement.RebalanceTarget(0, Four, Cpus(1, 2, 3), new[] { 0, 3, 1, 2 }, None), Is.EqualTo(2));
        // Nowhere to go.
        Assert.That(Placement.RebalanceTarget(0, Cpus(0, 1), Cpus(2, 3), new[] { 0, 0, 0, 0 }, None), Is.EqualTo(-1));
        Assert.That(Placement.RebalanceTarget(0, Four, Cpus(1), new[] { 0, 0, 0, 0 }, None), Is.EqualTo(1));
    }

    [Test]
    public void Rebalance_moves_to_a_busy_cpu_with_no_more_waiting()
    {
        // CPU 0 has three waiting besides the expiring process, CPU 1 runs one and has one waiting.
        Assert.That(Placement.RebalanceTarget(0, Cpus(0, 1), Cpus(0, 1), new[] { 3, 1 }, None), Is.EqualTo(1));
        // Ties move too: that is what makes queues one apart exchange processes.
        Assert.That(Placement.RebalanceTarget(0, Cpus(0, 1), Cpus(0, 1), new[] { 1, 1 }, None), Is.EqualTo(1));
        Assert.That(Placement.RebalanceTarget(0, Cpus(0, 1), Cpus(0, 1), new[] { 1, 2 }, None), Is.EqualTo(0));
    }

    [Test]
    public void Rebalance_keeps_a_process_nobody_waits_behind()
    {
        Assert.That(Placement.RebalanceTarget(0, Cpus(0, 1), Cpus(0, 1), new[] { 0, 0 }, None), Is.EqualTo(0));
        Assert.That(Placement.RebalanceTarget(0, Cpus(0, 1), Cpus(0, 1), new[] { 0, 0 }, Cpus(1)), Is.EqualTo(0));
    }

    [Test]
    public void Rebalance_prefers_an_idle_cpu()
    {
        Assert.That(Placement.RebalanceTarget(0, Four, Four, new[] { 1, 0, 0, 0 }, Cpus(3)), Is.EqualTo(3));
    }

    // StealFrom

    [Test]
    public void Steal_from_the_busiest_candidate()
    {
        Assert.That(Placement.StealFrom(Four, new[] { 1, 3, 2, 3 }), Is.EqualTo(1));
        Assert.That(Placement.StealFrom(Cpus(0, 2), new[] { 1, 3, 2, 3 }), Is.EqualTo(2));
    }

    [Test]
    public void Steal_finds_nothing_without_waiting_processes()
    {
        Assert.That(Placement.StealFrom(Four, new[] { 0, 0, 0, 0 }), Is.EqualTo(-1));
        Assert.That(Placement.StealFrom(Cpus(0, 1), new[] { 0, 0, 5, 5 }), Is.EqualTo(-1));
        Assert.That(Placement.StealFrom(None, new[] { 5, 5, 5, 5 }), Is.EqualTo(-1));
    }

    // Fairness: N CPU-bound processes on M CPUs in lockstep quanta.

    private const int Quanta = 1000;

    /// <summary>
    /// Process i starts at the tail of CPU i % M. Each quantum every CPU runs the head of its queue; then, CPU 0
    /// first, each expiring process goes where RebalanceTarget says (all CPUs allowed and usable, none idle; waiting
    /// counts what is queued at that moment) and is enqueued at the tail. Returns each process's quanta run.
    /// </summary>
    internal static int[] Simulate(int processes, int cpus, int quanta = Quanta)
    {
        var all = CpuSet.FirstN(cpus);
        var queues = Enumerable.Range(0, cpus).Select(_ => new Queue<int>()).ToArray();
        for (int p = 0; p < processes; p++) queues[p % cpus].Enqueue(p);
        var runs = new int[processes];
        var running = new int[cpus];
        var waiting = new int[cpus];
        for (int quantum = 0; quantum < quanta; quantum++)
        {
            for (int cpu = 0; cpu < cpus; cpu++)
            {
                running[cpu] = queues[cpu].Count > 0 ? queues[cpu].Dequeue() : -1;
                if (running[cpu] >= 0) runs[running[cpu]]++;
            }
            for (int cpu = 0; cpu < cpus; cpu++)
            {
                if (running[cpu] < 0) continue;
                for (int k = 0; k < cpus; k++) waiting[k] = queues[k].Count;
                int target = Placement.RebalanceTarget(cpu, all, all, waiting, None);
                Assert.That(target, Is.InRange(0, cpus - 1));
                queues[target].Enqueue(running[cpu]);
            }
        }
        return runs;
    }

    private static IEnumerable<TestCaseData> FairnessCases()
    {
        for (int cpus = 1; cpus <= 4; cpus++)
            for (int processes = 1; processes <= 9; processes++)
            {
                yield return new TestCaseData(processes, cpus).SetName($"Quanta_are_shared_fairly({processes} on {cpus})");
            }
    }

    [TestCaseSource(nameof(FairnessCases))]
    public void Quanta_are_shared_fairly(int processes, int cpus)
    {
        int[] runs = Simulate(processes, cpus);
        string counts = string.Join(", ", runs);
        if (processes <= cpus)
        {
            Assert.That(runs, Is.All.EqualTo(Quanta), $"runs: {counts}");
            return;
        }
        double mean = runs.Sum() / (double)processes;
        Assert.That(runs.Sum(), Is.EqualTo(cpus * Quanta), $"runs: {counts}");
        Assert.That(runs, Is.All.InRange(0.8 * mean, 1.2 * mean), $"mean {mean:F1}, runs: {counts}");
    }
}

using Kernel.Smp;

namespace Kernel.Proc
{
    /// <summary>
    /// The scheduler's pure decisions about CPUs: where a process that becomes runnable should wait, whether its
    /// CPU must be interrupted for it, and whether a process whose quantum ran out should move to even out the
    /// queues. waiting[n] is how many processes wait in CPU n's run queue, not counting the one running there.
    /// </summary>
    public static class Placement
    {
        /// <summary>
        /// The CPU for a process that became runnable: its last CPU while that is allowed and not busier than the
        /// least busy allowed CPU (its caches are warm there), otherwise the least busy allowed CPU, an idle one
        /// first. -1 if no allowed CPU is usable.
        /// </summary>
        public static int ChooseCpu(in CpuSet allowed, in CpuSet usable, int lastCpu, int[] waiting, in CpuSet idle)
        {
            CpuSet candidates = CpuSet.Intersection(allowed, usable);
            int best = LeastLoaded(candidates, waiting, idle);
            if (best < 0) return -1;
            bool lastUsable = candidates.Contains(lastCpu);
            return lastUsable && Load(lastCpu, waiting, idle) <= Load(best, waiting, idle) ? lastCpu : best;
        }

        /// <summary>
        /// Whether making a process of <paramref name="priority"/> runnable on another CPU needs a reschedule IPI
        /// there: only if that CPU is idle, or runs something of lower priority (a larger number). Otherwise the
        /// process waits for that CPU's next scheduling decision.
        /// </summary>
        public static bool NeedsIpi(bool targetIsThisCpu, bool targetIdle, int runningPriority, int priority) =>
            !targetIsThisCpu && (targetIdle || priority < runningPriority);

        /// <summary>
        /// Where a process whose quantum ran out on <paramref name="cpu"/> goes next. Alone on its CPU (nobody waits
        /// there) it stays: moving would only cool its caches. With others waiting behind it, it moves to an idle
        /// allowed CPU, or to one where no more processes wait than here — ties included, so that N processes on
        /// M &lt; N CPUs take turns on all of them instead of the N mod M extra ones sharing a CPU for good. This is the
        /// periodic half of load balancing; idle CPUs also steal (StealFrom). -1 only if no allowed CPU is usable.
        /// </summary>
        public static int RebalanceTarget(int cpu, in CpuSet allowed, in CpuSet usable, int[] waiting, in CpuSet idle)
        {
            CpuSet candidates = CpuSet.Intersection(allowed, usable);
            bool stayAllowed = candidates.Contains(cpu);
            candidates.Remove(cpu);
            int best = LeastLoaded(candidates, waiting, idle);
            if (!stayAllowed) return best;
            if (best < 0 || waiting[cpu] == 0) return cpu;
            return idle.Contains(best) || waiting[best] <= waiting[cpu] ? best : cpu;
        }

        /// <summary>The busiest CPU of <paramref name="candidates"/> with at least one process waiting, or -1: where an idle CPU steals from.</summary>
        public static int StealFrom(in CpuSet candidates, int[] waiting)
        {
            int busiest = -1;
            for (int cpu = candidates.Next(0); cpu >= 0 && cpu < waiting.Length; cpu = candidates.Next(cpu + 1))
                if (waiting[cpu] > 0 && (busiest < 0 || waiting[cpu] > waiting[busiest])) busiest = cpu;
            return busiest;
        }

        // The first of the least loaded candidates, or -1 if there are none.
        private static int LeastLoaded(in CpuSet candidates, int[] waiting, in CpuSet idle)
        {
            int best = -1;
            for (int cpu = candidates.Next(0); cpu >= 0; cpu = candidates.Next(cpu + 1))
                if (best < 0 || Load(cpu, waiting, idle) < Load(best, waiting, idle)) best = cpu;
            return best;
        }

        // An idle CPU counts as less loaded than a busy one with an empty queue.
        private static int Load(int cpu, int[] waiting, in CpuSet idle) => 2 * waiting[cpu] + (idle.Contains(cpu) ? 0 : 1);
    }
}

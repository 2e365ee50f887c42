namespace Kernel.Proc
{
    /// <summary>
    /// The scheduler's pure decisions about CPUs: where a process that becomes runnable should wait, whether its
    /// CPU must be interrupted for it, and whether a process whose quantum ran out should move to even out the
    /// queues. CPU sets are bit masks (bit n = CPU n); waiting[n] is how many processes wait in CPU n's run
    /// queue, not counting the one running there.
    /// </summary>
    public static class Placement
    {
        /// <summary>
        /// The CPU for a process that became runnable: its last CPU while that is allowed and not busier than the
        /// least busy allowed CPU (its caches are warm there), otherwise the least busy allowed CPU, an idle one
        /// first. -1 if no allowed CPU is usable.
        /// </summary>
        public static int ChooseCpu(ulong allowed, ulong usable, int lastCpu, int[] waiting, ulong idle)
        {
            ulong candidates = allowed & usable;
            if (candidates == 0) return -1;
            int best = -1;
            for (int cpu = 0; cpu < 64; cpu++)
            {
                if ((candidates & (1UL << cpu)) == 0) continue;
                if (best < 0 || Load(cpu, waiting, idle) < Load(best, waiting, idle)) best = cpu;
            }
            bool lastUsable = lastCpu >= 0 && lastCpu < 64 && (candidates & (1UL << lastCpu)) != 0;
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
        public static int RebalanceTarget(int cpu, ulong allowed, ulong usable, int[] waiting, ulong idle)
        {
            ulong candidates = allowed & usable & ~(1UL << cpu);
            int best = -1;
            for (int other = 0; other < 64; other++)
            {
                if ((candidates & (1UL << other)) == 0) continue;
                if (best < 0 || Load(other, waiting, idle) < Load(best, waiting, idle)) best = other;
            }
            bool stayAllowed = (allowed & usable & (1UL << cpu)) != 0;
            if (!stayAllowed) return best;
            if (best < 0 || waiting[cpu] == 0) return cpu;
            bool bestIdle = (idle & (1UL << best)) != 0;
            return bestIdle || waiting[best] <= waiting[cpu] ? best : cpu;
        }

        /// <summary>The busiest CPU of <paramref name="candidates"/> with at least one process waiting, or -1: where an idle CPU steals from.</summary>
        public static int StealFrom(ulong candidates, int[] waiting)
        {
            int busiest = -1;
            for (int cpu = 0; cpu < 64; cpu++)
                if ((candidates & (1UL << cpu)) != 0 && waiting[cpu] > 0 && (busiest < 0 || waiting[cpu] > waiting[busiest])) busiest = cpu;
            return busiest;
        }

        // An idle CPU counts as less loaded than a busy one with an empty queue.
        private static int Load(int cpu, int[] waiting, ulong idle) => 2 * waiting[cpu] + ((idle & (1UL << cpu)) != 0 ? 0 : 1);
    }
}

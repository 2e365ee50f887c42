using Kernel.Arch;
using Kernel.Smp;
using Kernel.Sync;
using Kernel.Testing;

namespace Kernel.SelfTests
{
    [SelfTestSuite("stopmachine")]
    public static unsafe class StopMachineTests
    {
        private static ulong* s_ticksSeen;
        private static int s_heldStill;

        [SelfTestCleanup]
        public static void KillStrays() => ProcessKit.KillStrays();

        [SelfTest]
        public static void RunsOnceOnEachSelectedCpuWhileTheOthersAreHeld()
        {
            var before = (ulong*)Scratch.Allocate((ulong)(sizeof(ulong) * Cpus.Count));
            for (int cpu = 0; cpu < Cpus.Count; cpu++) before[cpu] = StopMachine.RunsOn(cpu);
            var selected = CpuSet.Of(0);
            if (Cpus.Count > 1) selected.Add(Cpus.Count - 1);
            s_ticksSeen = (ulong*)Scratch.Allocate((ulong)(sizeof(ulong) * Cpus.Capacity));
            s_heldStill = 0;
            var spinners = stackalloc int[Cpus.Capacity];
            ProcessKit.SpinOnEveryCpu(spinners);   // busy CPUs tick: a held CPU's silence then means something
            ProcessKit.WaitUntilEveryCpuTicks();

            StopMachine.Run(&WatchTheOthers, null, selected);
            ProcessKit.KillStrays();

            for (int cpu = 0; cpu < Cpus.Count; cpu++)
                Assert.Equal(before[cpu] + (selected.Contains(cpu) ? 1UL : 0UL), StopMachine.RunsOn(cpu), "fn ran exactly once on each selected CPU and nowhere else");
            Assert.Equal((ulong)selected.Count, (ulong)s_heldStill, "while fn ran, no other CPU took an interrupt");
        }

        // Three tick periods with every CPU's tick counter watched: held CPUs, interrupts off, must not move.
        private static void WatchTheOthers(void* unused)
        {
            int self = (int)KernelCpu.Current->Index;
            for (int cpu = 0; cpu < Cpus.Count; cpu++) s_ticksSeen[cpu] = Atomic.Read(ref Cpus.Get(cpu)->Arch.TimerTicks);
            Tsc.SpinMicroseconds(3 * 1_000_000 / LocalApicTimer.TicksPerSecond);
            bool still = true;
            for (int cpu = 0; cpu < Cpus.Count; cpu++)
                if (cpu != self && Cpus.Get(cpu)->CpuState == CpuState.Online && Atomic.Read(ref Cpus.Get(cpu)->Arch.TimerTicks) != s_ticksSeen[cpu]) still = false;
            if (still) Atomic.Increment(ref s_heldStill);
        }
    }
}

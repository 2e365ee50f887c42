using Kernel.Arch;
using Kernel.Proc;
using Kernel.Smp;
using Kernel.Testing;

namespace Kernel.SelfTests
{
    /// <summary>
    /// Kernel threads (Scheduler.StartKernelThread): pinned to their CPU, never preempted, out of reach of kill, suspend
    /// and affinity changes, and asked to stop when their CPU goes down (model: Tests/Models/KernelThreadStop.pml).
    /// </summary>
    [SelfTestSuite("kthread")]
    public static unsafe class KernelThreadTests
    {
        private const ulong RunTimeoutMicros = 5_000_000;
        private const ulong HoldMicros = 200_000;

        private static int s_stop, s_ended, s_elsewhere, s_rounds, s_rivalRan, s_rivalSawHoldEnded;
        private static ulong s_ticks, s_switchesDuringHold;

        [SelfTestCleanup]
        public static void KillStrays() => ProcessKit.KillStrays();

        [SelfTest]
        public static void AKernelThreadStaysOnItsCpuAndStopsWhenItGoesDown()
        {
            int victim = HighestOnlineAp();
            Reset();
            int thread = Scheduler.StartKernelThread("kthread-test", &Watch, (ulong)victim, victim);
            Assert.True(thread != Endpoint.None, "started on an online AP");
            Assert.True(WaitUntil(&HasRun), "it runs");

            Assert.True(Scheduler.Kill(thread, "test") == IpcStatus.BadEndpoint, "kill refuses a kernel thread");
            Assert.True(Scheduler.Suspend(thread) == IpcStatus.BadEndpoint, "so does suspend");
            Assert.True(Scheduler.SetAffinity(thread, CpuSet.Of(0)) == IpcStatus.BadEndpoint, "and an affinity change");

            Assert.True(CpuHotplug.CpuDown(victim) == HotplugResult.Done, "its CPU went down: the thread stopped in time");
            Assert.Equal(1ul, (ulong)Atomic.Read(ref s_ended), "it returned");
            Assert.Equal(0ul, (ulong)Atomic.Read(ref s_elsewhere), "it never ran on another CPU");
            Assert.Equal(Endpoint.None, Scheduler.StartKernelThread("kthread-test", &Watch, (ulong)victim, victim), "an offline CPU takes no kernel thread");

            Assert.True(CpuHotplug.CpuUp(victim) == HotplugResult.Done, "the CPU came back");
            Reset();
            Assert.True(Scheduler.StartKernelThread("kthread-test", &Watch, (ulong)victim, victim) != Endpoint.None, "and takes kernel threads again");
            Assert.True(WaitUntil(&HasRun), "the new thread runs");
            Atomic.Write(ref s_stop, 1);
            Assert.True(WaitUntil(&HasEnded), "and stops when told");
        }

        /// <summary>
        /// A second kernel thread queued on the same CPU, of the same priority, waits until the first gives the CPU up:
        /// the tick runs out the first one's quantum, but an interrupt never switches away from a kernel thread.
        /// </summary>
        [SelfTest]
        public static void TheTickNeverSwitchesAwayFromAKernelThread()
        {
            int victim = HighestOnlineAp();
            Reset();
            Assert.True(Scheduler.StartKernelThread("kthread-hold", &Hold, 0, victim) != Endpoint.None, "the holder started");
            Assert.True(Scheduler.StartKernelThread("kthread-rival", &Rival, 0, victim) != Endpoint.None, "its rival started");
            Assert.True(WaitUntil(&HasEnded), "the holder held its CPU for its time and returned");
            Assert.True(WaitUntil(&RivalRan), "then the rival ran");
            Assert.True(s_ticks >= 2 * Scheduler.QuantumTicks, "the CPU ticked through more than one quantum meanwhile");
            Assert.Equal(0ul, s_switchesDuringHold, "yet nothing was switched to there while the holder held it");
            Assert.Equal(1ul, (ulong)s_rivalSawHoldEnded, "the rival ran only after the holder had returned");
        }

        // Counts rounds on its CPU until its CPU leaves scheduling or the test says stop.
        [KernelThread]
        private static void Watch(ulong cpu)
        {
            while (!Scheduler.KernelThreadShouldStop && Atomic.Read(ref s_stop) == 0)
            {
                if (KernelCpu.Current->Index != (uint)cpu) Atomic.Increment(ref s_elsewhere);
                Atomic.Increment(ref s_rounds);
                CpuNative.Pause();
            }
            Atomic.Write(ref s_ended, 1);
        }

        // Spins for HoldMicros with interrupts on once its rival is queued behind it, counting ticks and switches.
        [KernelThread]
        private static void Hold(ulong unused)
        {
            KernelCpu* cpu = KernelCpu.Current;
            ulong deadline = Tsc.DeadlineAfter(RunTimeoutMicros);
            while (Scheduler.Waiting((int)cpu->Index) == 0 && Tsc.Read() < deadline) CpuNative.Pause();
            ulong ticks = Atomic.Read(ref cpu->Arch.TimerTicks), switches = cpu->Scheduler.ContextSwitches;
            ulong until = Tsc.DeadlineAfter(HoldMicros);
            while (Tsc.Read() < until) CpuNative.Pause();
            s_ticks = Atomic.Read(ref cpu->Arch.TimerTicks) - ticks;
            s_switchesDuringHold = cpu->Scheduler.ContextSwitches - switches;
            Atomic.Write(ref s_ended, 1);
        }

        [KernelThread]
        private static void Rival(ulong unused)
        {
            s_rivalSawHoldEnded = Atomic.Read(ref s_ended);
            Atomic.Write(ref s_rivalRan, 1);
        }

        private static void Reset()
        {
            s_stop = s_ended = s_elsewhere = s_rounds = s_rivalRan = s_rivalSawHoldEnded = 0;
            s_ticks = s_switchesDuringHold = 0;
        }

        private static bool HasRun() => Atomic.Read(ref s_rounds) != 0;

        private static bool HasEnded() => Atomic.Read(ref s_ended) != 0;

        private static bool RivalRan() => Atomic.Read(ref s_rivalRan) != 0;

        private static bool WaitUntil(delegate*<bool> condition)
        {
            var poll = new PollDeadline(RunTimeoutMicros);
            while (!condition())
                if (!poll.Wait()) return false;
            return true;
        }

        private static int HighestOnlineAp()
        {
            int cpu = ProcessKit.HighestOnlineCpu();
            if (cpu == 0) Assert.Skip("one CPU: no AP to pin a kernel thread to");
            return cpu;
        }
    }
}

using Kernel.Arch;
using Kernel.Smp;
using Kernel.Sync;
using Kernel.Testing;

namespace Kernel.SelfTests
{
    /// <summary>Spinlocks and the big kernel lock with every CPU hammering them at once.</summary>
    [SelfTestSuite("sync")]
    public static unsafe class SyncTests
    {
        private const int Increments = 200;
        private const ulong HammerTimeoutMicros = 120_000_000;   // contention under TCG on two host cores is slow, not stuck

        private static SpinLock s_lock;
        private static int s_plainCounter;
        private static int s_maxAhead;
        private static int s_arrived;

        // Every CPU's share starts at once, so the lock is really contended.
        private static void StartTogether()
        {
            Atomic.Increment(ref s_arrived);
            ulong deadline = Tsc.Read() + 10 * Tsc.Hz;
            while (Atomic.Read(ref s_arrived) < Cpus.OnlineCount && Tsc.Read() < deadline) CpuNative.Pause();
        }

        private static bool RunOnAllCpusAtOnce(delegate*<void*, void> share)
        {
            s_arrived = 0;
            return CrossCpuCall.CallOnAll(share, null, includeSelf: true, timeoutMicros: HammerTimeoutMicros);
        }

        [SelfTest]
        public static void SpinLockMakesAPlainCounterExact()
        {
            s_plainCounter = 0;
            Assert.True(RunOnAllCpusAtOnce(&IncrementUnderSpinLock), "every CPU ran its share");
            Assert.Equal((ulong)(Increments * Cpus.OnlineCount), (ulong)s_plainCounter, "no increment was lost");
        }

        private static void IncrementUnderSpinLock(void* unused)
        {
            StartTogether();
            for (int i = 0; i < Increments; i++)
            {
                s_lock.Acquire();
                s_plainCounter++;
                s_lock.Release();
            }
        }

        [SelfTest]
        public static void BigKernelLockMakesAPlainCounterExact()
        {
            s_plainCounter = 0;
            Assert.True(RunOnAllCpusAtOnce(&IncrementUnderBkl), "every CPU ran its share");
            Assert.Equal((ulong)(Increments * Cpus.OnlineCount), (ulong)s_plainCounter, "no increment was lost");
        }

        private static void IncrementUnderBkl(void* unused)
        {
            StartTogether();
            for (int i = 0; i < Increments; i++)
            {
                BigKernelLock.Enter();
                s_plainCounter++;
                BigKernelLock.Exit();
            }
        }

        [SelfTest]
        public static void TicketLockServesInArrivalOrder()
        {
            s_maxAhead = 0;
            Assert.True(RunOnAllCpusAtOnce(&RecordQueueDepth), "every CPU ran its share");
            Assert.True(s_maxAhead <= Cpus.OnlineCount - 1, "no CPU ever had more than (CPUs - 1) holders ahead of it");
        }

        private static void RecordQueueDepth(void* unused)
        {
            StartTogether();
            for (int i = 0; i < Increments; i++)
            {
                int ahead = s_lock.Acquire();
                if (ahead > s_maxAhead) s_maxAhead = ahead;
                s_lock.Release();
            }
        }

        [SelfTest]
        public static void StatisticsCountEveryAcquisition()
        {
            ulong before = BigKernelLock.StatisticsOf(0).Acquisitions;
            BigKernelLock.Enter();
            Assert.True(BigKernelLock.HeldByCurrentCpu && BigKernelLock.Owner == 0, "the lock knows its owner");
            BigKernelLock.Exit();
            Assert.Equal(before + 1, BigKernelLock.StatisticsOf(0).Acquisitions, "one more acquisition");
            Assert.True(BigKernelLock.Owner == -1, "released");
        }

        [SelfTest]
        public static void LeavingTheLockRestoresInterrupts()
        {
            bool wereEnabled = InterruptState.Enabled;
            CpuNative.EnableInterrupts();
            BigKernelLock.Enter();
            Assert.False(InterruptState.Enabled, "the holder runs with interrupts off");
            BigKernelLock.Exit();
            Assert.True(InterruptState.Enabled, "interrupts are back on after leaving");
            var state = s_lock.AcquireIrqSave();
            Assert.False(InterruptState.Enabled, "AcquireIrqSave disables interrupts");
            s_lock.ReleaseIrqRestore(state);
            Assert.True(InterruptState.Enabled, "ReleaseIrqRestore restores them");
            if (!wereEnabled) CpuNative.DisableInterrupts();
        }
    }
}

using Kernel.Arch;
using Kernel.Lib;
using Kernel.Proc;
using Kernel.Smp;
using Kernel.Sync;
using Kernel.Testing;

namespace Kernel.SelfTests
{
    /// <summary>How CPUs wait for a lock (Kernel/Sync/SpinThenHalt.cs): the variant boot chose, and a halted waiter's kick.</summary>
    [SelfTestSuite("lockwait")]
    public static unsafe class LockWaitTests
    {
        private const ulong WaiterTimeoutMicros = 10_000_000;   // vCPUs wait for the host's scheduler
        private const ulong SpinningHoldMicros = 5_000;          // far past every spin budget: a halting waiter would have halted

        private static SpinLock s_lock;
        private static int s_waiterDone;

        [SelfTest]
        public static void TheVariantFollowsCpuidAndTheOption()
        {
            KernelMain.Options.TryGetValue("pvlocks", out string option);
            bool wanted = option == "on" || (option != "off" && Cpuid.UnderHypervisor);
            bool expected = wanted && !BuildConfiguration.Uniprocessor && !KernelMain.Options.Has("noalternatives") && Alternatives.Mode != AlternativesMode.Off;
            Assert.True(SpinThenHalt.Halting == expected, expected ? "lock waits halt (the paravirtual variant is patched in)" : "lock waits only spin (the code as built)");
            Assert.True(Alternatives.FeatureChosen(AltFeature.PvLocks) == expected, "the alternatives record the same choice");
        }

        private const int Attempts = 10;   // a waiter woken by something else just before the release needs no kick: try again

        /// <summary>
        /// CPU 1 asks for a spinlock this CPU holds. With halting waits it must halt (seen in its record) and take the
        /// kick the release sends; with spinning waits it must not halt however long the hold.
        /// </summary>
        [SelfTest]
        public static void AWaiterHaltsAndTheReleaseKicksItOnlyWhenWaitsHalt()
        {
            if (Cpus.OnlineCount < 2) Assert.Skip("needs a second CPU");
            KernelCpu* self = KernelCpu.Current;
            KernelCpu* waiter = Cpus.Get(self->Index == 1 ? 0 : 1);
            if (!SpinThenHalt.Halting)
            {
                ulong halts = waiter->Arch.Waiting.Halts;
                Assert.True(HoldWhileOneWaits(waiter, halting: false), "the waiter got the lock after the release");
                Assert.Equal(halts, waiter->Arch.Waiting.Halts, "a spinning waiter never halts");
                return;
            }
            for (int attempt = 0; attempt < Attempts; attempt++)
            {
                WaitRecord before = waiter->Arch.Waiting;
                ulong kicksSentBefore = self->Arch.Waiting.KicksSent;
                Assert.True(HoldWhileOneWaits(waiter, halting: true), "the waiter halted while the lock was held and got it after the release");
                WaitRecord after = waiter->Arch.Waiting;
                Assert.True(after.Halts > before.Halts, "the waiter counted its halt");
                if (self->Arch.Waiting.KicksSent == kicksSentBefore) continue;   // it had woken already: nobody to kick
                Assert.True(after.KicksTaken > before.KicksTaken, "the waiter took the kick");
                Assert.True(after.KickLatencies > before.KickLatencies, "its wake-up was timed from the kick");
                ulong latency = (after.KickLatencyCycles - before.KickLatencyCycles) / (after.KickLatencies - before.KickLatencies);
                SelfTestRunner.Note(new TextBuilder().Append("woken ").Append(Tsc.ToMicroseconds(latency)).Append(" us after the kick").ToString());
                return;
            }
            Assert.Fail("no release found the waiter halted to kick it");
        }

        // Holds the lock while the waiter asks for it (until it halts, or past every spin budget), then releases; true once
        // the waiter has had the lock (and, halting, was seen halted).
        private static bool HoldWhileOneWaits(KernelCpu* waiter, bool halting)
        {
            s_waiterDone = 0;
            s_lock.Acquire();
            if (!CrossCpuCall.CallOn((int)waiter->Index, &TakeAndReleaseFromCall, null, wait: false))
            {
                s_lock.Release();
                return false;
            }
            bool halted = halting ? WaitUntilHalted(waiter) : HoldWhileItSpins();
            s_lock.Release();
            return WaiterGotTheLock() && (halted || !halting);
        }

        /// <summary>
        /// A CPU waiting for a spinlock with interrupts on would take a cross-CPU call while it spins; halted, it must
        /// still, or a holder that runs stop_machine deadlocks: the rendezvous waits for the halted waiter, which waits
        /// for the lock (seen once in the hot-plug torture, as a stop_machine time-out panic).
        /// </summary>
        [SelfTest]
        public static void AWaiterHaltedWithInterruptsOnStillJoinsStopMachine()
        {
            if (Cpus.OnlineCount < 2) Assert.Skip("needs a second CPU");
            if (!SpinThenHalt.Halting) Assert.Skip("waits only spin (pvlocks=off, bare metal or noalternatives)");
            KernelCpu* waiter = Cpus.Get(Cpus.OnlineCount - 1);
            s_waiterDone = 0;
            s_lock.Acquire();
            if (Scheduler.StartKernelThread("lock-waiter", &TakeAndReleaseAsThread, 0, (int)waiter->Index) == Endpoint.None)
            {
                s_lock.Release();
                Assert.Fail("the waiter's kernel thread was not started");
            }
            bool halted = WaitUntilHalted(waiter);
            ulong runs = StopMachine.RunsOn((int)waiter->Index);
            if (halted) StopMachine.Run(&Nothing, null, CpuSet.Of((int)waiter->Index));   // panics after its time-out if the waiter cannot join
            s_lock.Release();
            bool gotIt = WaiterGotTheLock();

            Assert.True(halted, "the waiter halted, interrupts on, while the lock was held");
            Assert.Equal(runs + 1, StopMachine.RunsOn((int)waiter->Index), "the halted waiter ran its stop_machine part");
            Assert.True(gotIt, "and got the lock after the release");
        }

        private static bool WaiterGotTheLock()
        {
            ulong deadline = Tsc.DeadlineAfter(WaiterTimeoutMicros);
            while (Atomic.Read(ref s_waiterDone) == 0 && Tsc.Read() < deadline) CpuNative.Pause();
            return Atomic.Read(ref s_waiterDone) == 1;
        }

        private static void Nothing(void* unused) { }

        private static bool WaitUntilHalted(KernelCpu* waiter)
        {
            ulong deadline = Tsc.DeadlineAfter(WaiterTimeoutMicros);
            while (Tsc.Read() < deadline)
            {
                if (Atomic.Read(ref waiter->Arch.Waiting.InHalt) == 1 && Atomic.Read(ref waiter->Arch.Waiting.Address) != 0) return true;
                CpuNative.Pause();
            }
            return false;
        }

        private static bool HoldWhileItSpins()
        {
            ulong until = Tsc.DeadlineAfter(SpinningHoldMicros);
            while (Tsc.Read() < until) CpuNative.Pause();
            return false;
        }

        // The waiter's part: from a cross-CPU call (interrupts off), or as a kernel thread (interrupts on).
        private static void TakeAndReleaseFromCall(void* unused) => TakeAndRelease();

        [KernelThread]
        private static void TakeAndReleaseAsThread(ulong unused) => TakeAndRelease();

        private static void TakeAndRelease()
        {
            s_lock.Acquire();
            s_lock.Release();
            Atomic.Write(ref s_waiterDone, 1);
        }
    }
}

using Kernel.Arch;
using Kernel.Lib;
using Kernel.SelfTest;
using Kernel.Smp;
using Kernel.Sync;

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
            bool hypervisor = (Cpuid.Query(1).Ecx & (1u << 31)) != 0;
            KernelMain.Options.TryGetValue("pvlocks", out string option);
            bool wanted = option == "on" || (option != "off" && hypervisor);
            bool expected = wanted && !BuildConfiguration.Uniprocessor && !KernelMain.Options.Has("noalternatives") && Alternatives.Mode != AlternativesMode.Off;
            Assert.True(SpinThenHalt.Halting == expected, expected ? "lock waits halt (the paravirtual variant is patched in)" : "lock waits only spin (the code as built)");
            Assert.True(Alternatives.FeatureChosen(AltFeature.PvLocks) == expected, "the alternatives record the same choice");
        }

        /// <summary>
        /// CPU 1 asks for a spinlock this CPU holds. With halting waits it must halt (seen in its record) and take the
        /// kick the release sends; with spinning waits it must not halt however long the hold.
        /// </summary>
        [SelfTest]
        public static void AWaiterHaltsAndTheReleaseKicksItOnlyWhenWaitsHalt()
        {
            if (Cpus.OnlineCount < 2) Assert.Skip("needs a second CPU");
            PerCpu* self = PerCpu.Current;
            PerCpu* waiter = Cpus.Get(self->Index == 1 ? 0 : 1);
            WaitRecord before = waiter->Waiting;
            ulong kicksSentBefore = self->Waiting.KicksSent;
            s_waiterDone = 0;

            s_lock.Acquire();
            if (!CrossCpuCall.CallOn((int)waiter->Index, &TakeAndRelease, null, wait: false))
            {
                s_lock.Release();
                Assert.Fail("the waiter's request was not sent");
            }
            bool halting = SpinThenHalt.Halting;
            bool halted = halting ? WaitUntilHalted(waiter) : HoldWhileItSpins();
            s_lock.Release();
            ulong deadline = Tsc.DeadlineAfter(WaiterTimeoutMicros);
            while (Atomic.Read(ref s_waiterDone) == 0 && Tsc.Read() < deadline) CpuNative.Pause();

            Assert.True(Atomic.Read(ref s_waiterDone) == 1, "the waiter got the lock after the release");
            WaitRecord after = waiter->Waiting;
            if (!halting)
            {
                Assert.Equal(before.Halts, after.Halts, "a spinning waiter never halts");
                return;
            }
            Assert.True(halted, "the waiter halted while the lock was held");
            Assert.True(after.Halts > before.Halts, "the waiter counted its halt");
            Assert.True(self->Waiting.KicksSent > kicksSentBefore, "the release sent a kick");
            Assert.True(after.KicksTaken > before.KicksTaken, "the waiter took the kick");
            Assert.True(after.KickLatencies > before.KickLatencies, "its wake-up was timed from the kick");
            ulong latency = (after.KickLatencyCycles - before.KickLatencyCycles) / (after.KickLatencies - before.KickLatencies);
            SelfTestRunner.Note(new TextBuilder().Append("woken ").Append(Tsc.ToMicroseconds(latency)).Append(" us after the kick").ToString());
        }

        private static bool WaitUntilHalted(PerCpu* waiter)
        {
            ulong deadline = Tsc.DeadlineAfter(WaiterTimeoutMicros);
            while (Tsc.Read() < deadline)
            {
                if (Atomic.Read(ref waiter->Waiting.InHalt) == 1 && Atomic.Read(ref waiter->Waiting.Address) != 0) return true;
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

        private static void TakeAndRelease(void* unused)
        {
            s_lock.Acquire();
            s_lock.Release();
            Atomic.Write(ref s_waiterDone, 1);
        }
    }
}

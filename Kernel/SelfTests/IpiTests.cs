using Kernel.Arch;
using Kernel.Smp;
using Kernel.Sync;
using Kernel.Testing;

namespace Kernel.SelfTests
{
    /// <summary>Inter-processor interrupts and cross-CPU calls between every pair of CPUs.</summary>
    [SelfTestSuite("ipi")]
    public static unsafe class IpiTests
    {
        private static int* s_acks;        // s_acks[sender * MaxCpus + target]
        private static int s_ran;
        private static int* s_finished;

        [SelfTest]
        public static void EveryCpuCallsEveryOtherCpu()
        {
            int n = Cpus.Count;
            if (n == 1) Assert.Skip("one CPU: no pairs");
            s_acks = (int*)Scratch.Allocate((ulong)(sizeof(int) * Cpus.Capacity * Cpus.Capacity));
            for (int sender = 0; sender < n; sender++)
                Assert.True(CrossCpuCall.CallOn(sender, &CallEveryOther, null), "the sender ran its round");
            for (int sender = 0; sender < n; sender++)
                for (int target = 0; target < n; target++)
                    if (sender != target)
                        Assert.Equal(1ul, (ulong)Atomic.Read(ref s_acks[sender * Cpus.Capacity + target]), "the target acknowledged the sender's IPI");
        }

        // Runs on the sender (inside its own call, interrupts off): an IPI to each other CPU, waiting for each answer.
        private static void CallEveryOther(void* unused)
        {
            int sender = (int)KernelCpu.Current->Index;
            for (int target = 0; target < Cpus.Count; target++)
                if (target != sender) CrossCpuCall.CallOn(target, &Acknowledge, (void*)(ulong)sender);
        }

        private static void Acknowledge(void* sender) =>
            Atomic.Increment(ref s_acks[(int)(ulong)sender * Cpus.Capacity + (int)KernelCpu.Current->Index]);

        [SelfTest]
        public static void CallWithWaitReturnsOnlyAfterEveryTargetFinished()
        {
            s_finished = (int*)Scratch.Allocate((ulong)(sizeof(int) * Cpus.Capacity));
            if (Cpus.Count > 1)
            {
                Assert.True(CrossCpuCall.CallOn(Cpus.Count - 1, &SlowlyFinish, null), "one CPU");
                Assert.Equal(1ul, (ulong)Atomic.Read(ref s_finished[Cpus.Count - 1]), "the one target had finished");
            }
            var evens = new CpuSet();
            for (int cpu = 0; cpu < Cpus.Count; cpu += 2) evens.Add(cpu);
            Assert.True(CrossCpuCall.CallOnSet(evens, &SlowlyFinish, null), "a set");
            for (int cpu = 0; cpu < Cpus.Count; cpu += 2)
                Assert.True(Atomic.Read(ref s_finished[cpu]) >= 1, "every CPU of the set had finished");
            s_ran = 0;
            Assert.True(CrossCpuCall.CallOnAll(&CountRun, null, includeSelf: true), "all");
            Assert.Equal((ulong)Cpus.OnlineCount, (ulong)Atomic.Read(ref s_ran), "every CPU had run it");
        }

        /// <summary>
        /// Hundreds of waited calls from this CPU to every other all succeed and all run. With test.call-sequence just
        /// below 2^31 (smp2-pc) they cross the point where the sequence numbers turn negative.
        /// </summary>
        [SelfTest]
        public static void HundredsOfCallsToEveryCpuAllRun()
        {
            if (Cpus.OnlineCount == 1) Assert.Skip("one CPU: no other to call");
            const int Calls = 300;
            for (int cpu = 0; cpu < Cpus.Count; cpu++)
            {
                if (cpu == (int)KernelCpu.Current->Index || Cpus.Get(cpu)->CpuState != CpuState.Online) continue;
                s_ran = 0;
                int succeeded = 0;
                for (int i = 0; i < Calls; i++)
                    if (CrossCpuCall.CallOn(cpu, &CountRun, null)) succeeded++;
                Assert.Equal((ulong)Calls, (ulong)succeeded, "every call reported success");
                Assert.Equal((ulong)Calls, (ulong)Atomic.Read(ref s_ran), "every call ran once");
            }
        }

        private static void SlowlyFinish(void* unused)
        {
            Tsc.SpinMicroseconds(2000);
            Atomic.Increment(ref s_finished[KernelCpu.Current->Index]);
        }

        private static void CountRun(void* unused) => Atomic.Increment(ref s_ran);

        [SelfTest]
        public static void HolderOfTheBigKernelLockCanCallACpuSpinningForIt()
        {
            if (Cpus.Count == 1) Assert.Skip("one CPU: nobody to spin");
            int spinner = Cpus.Count - 1;
            // A device-style interrupt is a kernel entry: its handler runs under the big kernel lock.
            Interrupts.Register(KernelEntryVector, &NothingToDo, takesBigKernelLock: true);
            BigKernelLock.Enter();
            LocalApic.SendIpi(Cpus.Get(spinner)->ApicId, IpiDelivery.Fixed, KernelEntryVector);
            ulong deadline = Tsc.Read() + Tsc.Hz;
            while (Atomic.Read(ref Cpus.Get(spinner)->Bkl.Waiting) == 0 && Tsc.Read() < deadline) CpuNative.Pause();
            bool spinning = Atomic.Read(ref Cpus.Get(spinner)->Bkl.Waiting) != 0;
            s_ran = 0;
            bool called = CrossCpuCall.CallOn(spinner, &CountRun, null);
            BigKernelLock.Exit();
            Assert.True(spinning, "the other CPU was spinning for the big kernel lock");
            Assert.True(called && s_ran == 1, "it ran our call while spinning (no deadlock, within the call time-out)");
        }

        private const byte KernelEntryVector = InterruptVectors.DeviceLast;

        private static void NothingToDo(TrapFrame* frame) { }

        [SelfTest]
        public static void RescheduleIpiReachesEachCpu()
        {
            for (int cpu = 1; cpu < Cpus.Count; cpu++)
            {
                ulong before = Atomic.Read(ref Cpus.Get(cpu)->RescheduleRequests);
                Assert.True(Ipi.Send(cpu, IpiKind.Reschedule), "sent");
                ulong deadline = Tsc.Read() + Tsc.Hz;
                while (Atomic.Read(ref Cpus.Get(cpu)->RescheduleRequests) == before && Tsc.Read() < deadline) CpuNative.Pause();
                Assert.Equal(before + 1, Atomic.Read(ref Cpus.Get(cpu)->RescheduleRequests), "the CPU took the IPI");
            }
        }

        [SelfTest]
        public static void EndOfInterruptClearsTheInServiceBitInEitherApicMode()
        {
            // A lost EOI (an MMIO store in x2APIC mode) leaves the vector's ISR bit set, and with it every vector of
            // its priority class and below blocked: the second self-IPI would never arrive.
            CpuNative.EnableInterrupts();
            KernelCpu* self = KernelCpu.Current;
            for (int round = 0; round < 2; round++)
            {
                ulong before = Atomic.Read(ref self->RescheduleRequests);
                Assert.True(LocalApic.SendIpi(0, IpiDelivery.Fixed, InterruptVectors.Reschedule, IpiShorthand.Self), "self-IPI sent");
                ulong deadline = Tsc.Read() + Tsc.Hz;
                while (Atomic.Read(ref self->RescheduleRequests) == before && Tsc.Read() < deadline) CpuNative.Pause();
                Assert.Equal(before + 1, Atomic.Read(ref self->RescheduleRequests), "the self-IPI was taken");
                Assert.False(LocalApic.IsInService(InterruptVectors.Reschedule), "EOI cleared its in-service bit");
            }
        }

        [SelfTest]
        public static void BroadcastIpisReachEveryCpuTheShorthandNames()
        {
            CpuNative.EnableInterrupts();
            Broadcast(includeSelf: false);
            Broadcast(includeSelf: true);
        }

        // One broadcast at a time: two IPIs of one vector sent before the first is taken merge in the IRR (SDM Vol. 3A §11.8.4).
        private static void Broadcast(bool includeSelf)
        {
            var before = (ulong*)Scratch.Allocate((ulong)(sizeof(ulong) * Cpus.Count));
            for (int cpu = 0; cpu < Cpus.Count; cpu++) before[cpu] = Atomic.Read(ref Cpus.Get(cpu)->RescheduleRequests);
            Assert.True(Ipi.SendToAll(IpiKind.Reschedule, includeSelf), "broadcast sent");
            ulong deadline = Tsc.Read() + Tsc.Hz;
            for (int cpu = 0; cpu < Cpus.Count; cpu++)
            {
                bool meant = includeSelf || cpu != (int)KernelCpu.Current->Index;
                while (meant && Atomic.Read(ref Cpus.Get(cpu)->RescheduleRequests) == before[cpu] && Tsc.Read() < deadline) CpuNative.Pause();
                Assert.True((Atomic.Read(ref Cpus.Get(cpu)->RescheduleRequests) > before[cpu]) == meant, "exactly the CPUs the shorthand names took it");
            }
        }

        [SelfTest]
        public static void StopParksACpuAndItCanBeRestarted()
        {
            if (Cpus.Count == 1) Assert.Skip("one CPU: nothing to stop");
            int victim = Cpus.Count - 1;
            int online = Cpus.OnlineCount;
            // A stop IPI freezes whatever runs there; the scheduler must have moved its processes away first.
            Assert.True(Proc.Scheduler.Evacuate(victim, 10_000_000), "its processes moved away");
            Assert.True(Ipi.Send(victim, IpiKind.Stop), "sent");
            ulong deadline = Tsc.Read() + Tsc.Hz;
            while (Cpus.Get(victim)->CpuState != CpuState.Parked && Tsc.Read() < deadline) CpuNative.Pause();
            Assert.True(Cpus.Get(victim)->CpuState == CpuState.Parked, "the CPU parked itself");
            Assert.Equal((ulong)(online - 1), (ulong)Cpus.OnlineCount, "it left the online set");
            Assert.False(CrossCpuCall.CallOn(victim, &CountRun, null), "a parked CPU takes no calls");
            Assert.True(SmpBoot.Restart(victim), "INIT-SIPI-SIPI brought it back");
            Assert.Equal((ulong)online, (ulong)Cpus.OnlineCount, "back in the online set");
            s_ran = 0;
            Assert.True(CrossCpuCall.CallOn(victim, &CountRun, null) && s_ran == 1, "it takes calls again");
        }
    }
}

using Kernel.Arch;
using Kernel.Sync;

namespace Kernel.Smp
{
    /// <summary>
    /// Runs a function on other CPUs: CallOn(cpu | set | all, fn, argument, wait). Each CPU has an inbox
    /// with one slot per sending CPU, so a request needs no allocation and cannot fail for lack of room:
    /// a sender whose previous request to that CPU is still running waits for it. The target runs the
    /// request from the CrossCpuCall IPI, or — if it is waiting for the big kernel lock or for its own calls,
    /// spinning or halted (Kernel/Sync/SpinThenHalt.cs) — from that wait, so a CPU waiting on another can never
    /// deadlock it. The target wakes a sender halted for its request's completion. Requests run
    /// with interrupts off and without the big kernel lock. With `wait`, CallOn returns only after every
    /// target has finished the function. Sequence numbers wrap (compared by signed difference); whether a
    /// request was posted is a flag of its own, never a value of the sequence. Model: Tests/Models/CrossCpuCall.pml.
    /// </summary>
    public static unsafe class CrossCpuCall
    {
        private const ulong HardwareTimeoutMicros = 2_000_000;
        private const ulong VirtualTimeoutMicros = 10_000_000;   // vCPUs may wait for the host's scheduler

        /// <summary>How long a caller waits for a target by default before reporting it unresponsive.</summary>
        public static ulong DefaultTimeoutMicros => Cpuid.UnderHypervisor ? VirtualTimeoutMicros : HardwareTimeoutMicros;

        /// <summary>One sender's slot in a CPU's inbox (KernelCpu.CallInbox).</summary>
        public struct CallSlot
        {
            public ulong Function;
            public ulong Argument;
            public int Requested;    // sequence numbers: Requested → Started → Completed
            public int Started;
            public int Completed;
            public int SenderHalted;  // the sender is in a halt step waiting on Completed (Kernel/Sync/SpinThenHalt.cs)
        }

        private static int s_firstSequence;

        // The EOI first: a request may wait for a lock and halt there until kicked, which a call vector in service would hold back.
        public static void InstallHandler() => Interrupts.Register(InterruptVectors.CrossCpuCall, &OnInterrupt, takesBigKernelLock: false, endOfInterruptFirst: true);

        /// <summary>test.call-sequence=N: every inbox slot made from now on starts at sequence N (to cross the wrap soon).</summary>
        public static void StartSequencesAt(int first) => s_firstSequence = first;

        /// <summary>Gives a CPU its inbox; runs on the boot CPU before that CPU starts.</summary>
        public static void PrepareInbox(KernelCpu* cpu)
        {
            var inbox = (CallSlot*)Memory.KernelHeap.Allocate((ulong)(sizeof(CallSlot) * Cpus.Capacity));
            for (int sender = 0; sender < Cpus.Capacity; sender++)
                inbox[sender].Requested = inbox[sender].Started = inbox[sender].Completed = s_firstSequence;
            cpu->CallInbox = inbox;
        }

        public static bool CallOn(int cpu, delegate*<void*, void> fn, void* argument, bool wait = true, ulong timeoutMicros = 0) =>
            CallOnSet(CpuSet.Of(cpu), fn, argument, wait, timeoutMicros);

        /// <summary>Runs fn(argument) on every CPU online (optionally not the caller's).</summary>
        public static bool CallOnAll(delegate*<void*, void> fn, void* argument, bool includeSelf, bool wait = true, ulong timeoutMicros = 0)
        {
            CpuSet all = Cpus.OnlineSet;
            if (!includeSelf) all.Remove((int)KernelCpu.Current->Index);
            return CallOnSet(all, fn, argument, wait, timeoutMicros);
        }

        /// <summary>
        /// Runs fn(argument) on every online CPU in <paramref name="targets"/> (the caller's own CPU last, directly).
        /// False if a target is not online, or (with wait) did not finish within the time-out
        /// (<paramref name="timeoutMicros"/>, 0 for DefaultTimeoutMicros).
        /// </summary>
        public static bool CallOnSet(CpuSet targets, delegate*<void*, void> fn, void* argument, bool wait = true, ulong timeoutMicros = 0)
        {
            if (timeoutMicros == 0) timeoutMicros = DefaultTimeoutMicros;
            KernelCpu* self = KernelCpu.Current;
            var sequences = stackalloc int[Cpus.Capacity];
            var posted = stackalloc bool[Cpus.Capacity];
            bool ok = true;
            for (int cpu = 0; cpu < Cpus.Count; cpu++)
            {
                posted[cpu] = false;
                if (!targets.Contains(cpu) || cpu == (int)self->Index) continue;
                KernelCpu* target = Cpus.Get(cpu);
                if (target->CpuState != CpuState.Online || !Post(self, target, fn, argument, out sequences[cpu])) { ok = false; continue; }
                posted[cpu] = true;
                // A send the APIC did not accept may still be served when the target next looks; a waiting caller
                // learns the outcome below, one that does not wait can only be told it may not have run.
                if (!LocalApic.SendIpi(target->ApicId, IpiDelivery.Fixed, InterruptVectors.CrossCpuCall) && !wait) ok = false;
            }
            if (targets.Contains((int)self->Index))
            {
                InterruptState state = InterruptState.Disable();
                fn(argument);
                state.Restore();
            }
            if (!wait) return ok;

            ulong deadline = Tsc.DeadlineAfter(timeoutMicros);
            for (int cpu = 0; cpu < Cpus.Count; cpu++)
            {
                if (!posted[cpu]) continue;
                CallSlot* slot = SlotFor(Cpus.Get(cpu), self);
                if (!SpinThenHalt.Until(&slot->Completed, sequences[cpu], WaitCondition.NotBefore, &slot->SenderHalted, deadline, serviceCalls: true))
                    ok = false;
            }
            return ok;
        }

        /// <summary>
        /// Runs the requests waiting in this CPU's inbox. Safe to nest (a request's function may itself wait and
        /// so service the inbox again): a slot already started is skipped. Interrupts are off throughout, or the
        /// call IPI could arrive between the check and the claim of a slot and run its request a second time.
        /// </summary>
        public static void ServicePending()
        {
            KernelCpu* cpu = KernelCpu.Current;
            if (cpu->CallInbox == null) return;
            InterruptState state = InterruptState.Disable();
            var inbox = (CallSlot*)cpu->CallInbox;
            for (int sender = 0; sender < Cpus.Count; sender++)
            {
                CallSlot* slot = &inbox[sender];
                int requested = Atomic.Read(ref slot->Requested);
                if (requested == slot->Started) continue;
                slot->Started = requested;
                cpu->Arch.HandlerNesting++;
                ((delegate*<void*, void>)slot->Function)((void*)slot->Argument);
                cpu->Arch.HandlerNesting--;
                cpu->CallsServed++;
                Atomic.Write(ref slot->Completed, requested);
                SpinThenHalt.Wake(&slot->Completed, &slot->SenderHalted);
            }
            state.Restore();
        }

        /// <summary>
        /// A CPU restarted by INIT abandons the request it was running when the INIT arrived (its caller has timed
        /// out, or did not wait); requests posted but not yet started stay and run once it is back.
        /// </summary>
        public static void AbandonInterruptedRequests(KernelCpu* cpu)
        {
            var inbox = (CallSlot*)cpu->CallInbox;
            for (int sender = 0; sender < Cpus.Capacity; sender++)
                if (inbox[sender].Started != inbox[sender].Completed) Atomic.Write(ref inbox[sender].Completed, inbox[sender].Started);
        }

        // Waits (servicing our own inbox) until the previous request from self to target is done, then posts;
        // false if that request never finished. Any int is a valid sequence number: they wrap.
        private static bool Post(KernelCpu* self, KernelCpu* target, delegate*<void*, void> fn, void* argument, out int sequence)
        {
            CallSlot* slot = SlotFor(target, self);
            sequence = 0;
            if (!SpinThenHalt.Until(&slot->Completed, slot->Requested, WaitCondition.Equals, &slot->SenderHalted, Tsc.DeadlineAfter(DefaultTimeoutMicros), serviceCalls: true))
                return false;
            slot->Function = (ulong)fn;
            slot->Argument = (ulong)argument;
            sequence = unchecked(slot->Requested + 1);
            Atomic.Write(ref slot->Requested, sequence);
            return true;
        }

        private static CallSlot* SlotFor(KernelCpu* target, KernelCpu* sender) => &((CallSlot*)target->CallInbox)[sender->Index];

        private static void OnInterrupt(TrapFrame* frame) => ServicePending();
    }
}

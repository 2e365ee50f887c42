using Kernel.Arch;
using Kernel.Lib;
using Kernel.Proc;
using Kernel.Smp;
using Kernel.Sync;
using Kernel.Testing;

namespace Kernel.SelfTests
{
    /// <summary>
    /// IPI storm: for `torture.seconds` (default 1; `selftest=ipi-storm torture.seconds=60` for a long run) every
    /// online CPU, interrupts on, posts requests to every other CPU round-robin as fast as it can. A fixed IPI to a
    /// vector already pending in the target's IRR merges with it (SDM Vol. 3A §11.8.4), so "no loss" is defined on
    /// requests: each (sender, target) pair has a mailbox counter; the sender adds one and sends an IPI only when the
    /// mailbox was empty (as Linux's call_single_queue does), and the target's handler empties every mailbox it owns.
    /// A lost IPI leaves its mailbox full for good, since nobody sends another: at the end every request posted must
    /// have been received by an interrupt, pair by pair. The handler is removed only once no CPU has one pending.
    /// </summary>
    [SelfTestSuite("ipi-storm")]
    public static unsafe class IpiStorm
    {
        private const ulong DrainTimeoutMicros = 10_000_000;

        private static int* s_mailbox;        // [sender * MaxCpus + target]: requests posted, not yet taken
        private static ulong* s_posted;       // [pair], written by the sender
        private static ulong* s_received;     // [pair], written by the target's handler
        private static ulong* s_ipis;         // [cpu]: IPIs it sent
        private static ulong* s_interrupts;   // [cpu]: storm interrupts it took
        private static int s_arrived, s_finished, s_participants, s_stillRequested;
        private static ulong s_deadline;

        [SelfTest]
        public static void EveryCpuToEveryCpuLosesNoRequest()
        {
            if (Cpus.OnlineCount == 1) Assert.Skip("one CPU: no pairs");
            ulong seconds = SelfTestRunner.PositiveOption("torture.seconds", 1, "number of seconds");
            Assert.False(Interrupts.IsRegistered(InterruptVectors.IpiStorm), "the storm's vector is free");

            Reset();
            Interrupts.Register(InterruptVectors.IpiStorm, &OnStorm, takesBigKernelLock: false);
            s_participants = Cpus.OnlineCount;
            for (int cpu = 1; cpu < Cpus.Count; cpu++)
                if (Cpus.Get(cpu)->CpuState == CpuState.Online) Assert.True(Scheduler.StartKernelThread("ipi-storm", &Storm, 0, cpu) != Endpoint.None, "an AP joined the storm");
            ulong start = Tsc.Read();
            RunStorm(seconds * 1_000_000);
            ulong deadline = Tsc.DeadlineAfter(seconds * 1_000_000 + DrainTimeoutMicros);
            while (Atomic.Read(ref s_finished) < s_participants && Tsc.Read() < deadline) CpuNative.Pause();
            bool finished = Atomic.Read(ref s_finished) == s_participants;
            WaitUntilReceived();
            bool quiet = WaitUntilQuiet();
            if (quiet) Interrupts.Unregister(InterruptVectors.IpiStorm);   // a late interrupt with no handler would only be a warning, but none is left
            ulong millis = Tsc.ToMicroseconds(Tsc.Read() - start) / 1000;

            Assert.True(finished, "every CPU finished its storm");
            Assert.True(quiet, "no storm interrupt left pending once the storm was over");
            ulong posted = 0, ipis = 0, interrupts = 0;
            for (int sender = 0; sender < Cpus.Count; sender++)
            {
                ipis += s_ipis[sender];
                interrupts += s_interrupts[sender];
                for (int target = 0; target < Cpus.Count; target++)
                {
                    int pair = sender * Cpus.Capacity + target;
                    posted += s_posted[pair];
                    Assert.Equal(s_posted[pair], Atomic.Read(ref s_received[pair]), "every request a CPU posted to another was received");
                    if (sender != target && Cpus.Get(target)->CpuState == CpuState.Online && Cpus.Get(sender)->CpuState == CpuState.Online)
                        Assert.True(s_posted[pair] > 0, "every online CPU sent to every other");
                }
            }
            SelfTestRunner.Note(new TextBuilder().Append((ulong)s_participants).Append(" CPUs, ").Append(seconds).Append(" s (")
                .Append(millis).Append(" ms with the drain): ").Append(posted).Append(" requests over ").Append(ipis)
                .Append(" IPIs, ").Append(interrupts).Append(" interrupts taken, all received, 0 lost").ToString());
        }

        private static void Reset()
        {
            ulong pairs = (ulong)(Cpus.Capacity * Cpus.Capacity);
            if (s_mailbox == null)
            {
                s_mailbox = (int*)Scratch.Allocate(pairs * sizeof(int));
                s_posted = (ulong*)Scratch.Allocate(pairs * sizeof(ulong));
                s_received = (ulong*)Scratch.Allocate(pairs * sizeof(ulong));
                s_ipis = (ulong*)Scratch.Allocate((ulong)Cpus.Capacity * sizeof(ulong));
                s_interrupts = (ulong*)Scratch.Allocate((ulong)Cpus.Capacity * sizeof(ulong));
            }
            Lib.Memory.Zero(s_mailbox, (nuint)(pairs * sizeof(int)));
            Lib.Memory.Zero(s_posted, (nuint)(pairs * sizeof(ulong)));
            Lib.Memory.Zero(s_received, (nuint)(pairs * sizeof(ulong)));
            Lib.Memory.Zero(s_ipis, (nuint)(Cpus.Capacity * sizeof(ulong)));
            Lib.Memory.Zero(s_interrupts, (nuint)(Cpus.Capacity * sizeof(ulong)));
            s_arrived = s_finished = s_stillRequested = 0;
            s_deadline = 0;
        }

        // An AP's part, from its idle loop (interrupts on).
        [KernelThread]
        private static void Storm(ulong unused) => RunStorm(0);

        // Every participant waits for the others; the boot CPU then sets the deadline (micros is its duration).
        private static void RunStorm(ulong micros)
        {
            Atomic.Increment(ref s_arrived);
            ulong patience = Tsc.DeadlineAfter(DrainTimeoutMicros);    // a CPU that never comes fails the run, not hangs it
            while (Atomic.Read(ref s_arrived) < s_participants && Tsc.Read() < patience) CpuNative.Pause();
            if (micros != 0) Atomic.Write(ref s_deadline, Tsc.DeadlineAfter(micros));
            while (Atomic.Read(ref s_deadline) == 0 && Tsc.Read() < patience) CpuNative.Pause();

            int self = Snapshots.CurrentCpu;   // the kernel task and kernel threads stay on their CPU
            int target = self;
            ulong ipis = 0;
            while (Tsc.Read() < Atomic.Read(ref s_deadline))
            {
                do target = (target + 1) % Cpus.Count;
                while (target == self || Cpus.Get(target)->CpuState != CpuState.Online);
                int pair = self * Cpus.Capacity + target;
                Atomic.Write(ref s_posted[pair], s_posted[pair] + 1);
                if (Atomic.Increment(ref s_mailbox[pair]) == 1 && LocalApic.SendIpi(Cpus.Get(target)->ApicId, IpiDelivery.Fixed, InterruptVectors.IpiStorm))
                    ipis++;
            }
            s_ipis[self] = ipis;
            Atomic.Increment(ref s_finished);
        }

        // Takes every request waiting in this CPU's mailboxes, whichever IPI brought it.
        private static void OnStorm(TrapFrame* frame)
        {
            int self = (int)KernelCpu.Current->Index;
            s_interrupts[self]++;
            for (int sender = 0; sender < Cpus.Count; sender++)
            {
                int pair = sender * Cpus.Capacity + self;
                int taken = Atomic.Swap(ref s_mailbox[pair], 0);
                if (taken != 0) Atomic.Write(ref s_received[pair], s_received[pair] + (ulong)taken);
            }
        }

        // Only interrupts empty the mailboxes: waiting here, rather than draining, is what makes a lost IPI visible.
        private static void WaitUntilReceived()
        {
            var poll = new PollDeadline(DrainTimeoutMicros);
            bool all;
            do
            {
                all = true;
                for (int pair = 0; pair < Cpus.Capacity * Cpus.Capacity && all; pair++)
                    all = Atomic.Read(ref s_received[pair]) == Atomic.Read(ref s_posted[pair]);
            } while (!all && poll.Wait());
        }

        // An IPI that found its mailbox already emptied may still sit in a target's IRR; the vector is given up only when none does.
        private static bool WaitUntilQuiet()
        {
            var poll = new PollDeadline(DrainTimeoutMicros);
            while (true)
            {
                Atomic.Write(ref s_stillRequested, 0);
                if (CrossCpuCall.CallOnAll(&CheckRequested, null, includeSelf: true) && Atomic.Read(ref s_stillRequested) == 0) return true;
                if (!poll.Wait()) return false;
            }
        }

        private static void CheckRequested(void* unused)
        {
            if (LocalApic.IsRequested(InterruptVectors.IpiStorm)) Atomic.Increment(ref s_stillRequested);
        }
    }
}

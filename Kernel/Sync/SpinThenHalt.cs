using Kernel.Arch;
using Kernel.Smp;
using Kernel.Lib;

namespace Kernel.Sync
{
    /// <summary>What a waiting CPU waits for its word to reach.</summary>
    public enum WaitCondition
    {
        Equals,       // the word equals the target (a ticket served, a stop_machine step)
        NotBefore,    // the word is the target or after it, as wrapping sequence numbers compare (a call completed)
    }

    /// <summary>
    /// Waiting that yields the host: for ticket locks (spinlocks, the big kernel lock) and for the rendezvous that wait
    /// on a word another CPU changes (a cross-CPU call's completion, a stop_machine step). Two variants, chosen at boot
    /// (<see cref="LockWaitPolicy"/>) and patched in as an alternative (Bridge/Locks.asm lock_waits_halt and
    /// lock_release_ticket, AltFeature.PvLocks): as built a waiter spins; with paravirtual waits it spins for a while
    /// (<see cref="LockWaitPolicy.ShouldHalt"/>) and then halts until the CPU that makes its condition true kicks it,
    /// as Linux's pv spinlocks do. Under a hypervisor with more vCPUs than host CPUs, spinning waiters otherwise burn
    /// the host time that the holder, or the CPU being waited for, needs.
    ///
    /// No wake-up is lost (models: Tests/Models/BigKernelLock.pml, CrossCpuCall.pml, StopMachine.pml). The halt step
    /// runs with interrupts off: it publishes the word and target in this CPU's record, counts itself into the word's
    /// halted-waiter count with a locked increment (so the record is visible before the check), looks at its condition
    /// once more and only then halts, with the task priority raised so that only the kick, the tick (which bounds a
    /// halt when the wait has a deadline) and, if the wait services them, cross-CPU calls get in: a lock holder may be
    /// waiting for this CPU to run its call, while a stop_machine participant must run nothing else. A kick sent after
    /// the check is pending and ends the halt at once. A waker first makes the condition true with a full barrier after
    /// it (a ticket lock's release is an XCHG), then reads the count, and if a waiter may be halted kicks the CPUs
    /// whose records match: for a ticket lock the holder of the ticket now served and the one next in line (woken now,
    /// it is running again by its turn, as Linux's pv qspinlock wakes the queue's next node), never a herd; for a word,
    /// the CPUs waiting on it. A spurious wake-up (a call, a tick, an early kick) costs one more look.
    /// </summary>
    public static unsafe class SpinThenHalt
    {
        /// <summary>How long a waiter spins before it halts by default (`pvlocks.spin=` microseconds; next in line: longer).</summary>
        public const ulong DefaultSpinMicros = 20;

        private const ulong NoDeadline = ulong.MaxValue;

        private static ulong s_spinMicros;
        private static ulong s_spinCycles;

        /// <summary>Whether waits halt: true only once the paravirtual variant is patched in (never in a MaxCpus=1 build).</summary>
        public static bool Halting => !BuildConfiguration.Uniprocessor && CpuNative.LockWaitsHalt() != 0;

        /// <summary>Decides the variant from CPUID and `pvlocks`; the caller hands the answer to the alternatives.</summary>
        public static bool ChooseHalting(CommandLine options)
        {
            if (BuildConfiguration.Uniprocessor)
            {
                Log.Info("locks", "one CPU by build: no lock is ever waited for");
                return false;
            }
            bool given = options.TryGetValue("pvlocks", out string value);
            LockWaitVariant variant = LockWaitPolicy.Choose(Cpuid.UnderHypervisor, given, value, out string reason, out string warning);
            if (warning != null) Log.Warn("locks", warning);
            bool halting = variant == LockWaitVariant.SpinThenHalt;
            if (halting && options.Has("noalternatives"))
                Log.Warn("locks", "pvlocks: noalternatives keeps the code as built, so waits only spin");
            s_spinMicros = DefaultSpinMicros;
            if (options.TryGetValue("pvlocks.spin", out string spin) && !(Lib.Format.TryParseUnsigned(spin, out s_spinMicros) && s_spinMicros <= 1_000_000))
            {
                Log.Warn("locks", $"pvlocks.spin='{spin}' is not a number of microseconds up to 1000000: using the default");
                s_spinMicros = DefaultSpinMicros;
            }
            if (halting) Log.Info("locks", $"waits spin {s_spinMicros} us ({s_spinMicros * LockWaitPolicy.NextInLineSpinFactor} us next in line), then halt until kicked: {reason}");
            else Log.Info("locks", $"waits spin: {reason}");
            return halting;
        }

        /// <summary>Installs the kick's handler and lets the boot CPU halt in waits.</summary>
        public static void InstallKickHandler()
        {
            s_spinCycles = s_spinMicros * (Tsc.Hz / 1_000_000);
            Interrupts.Register(InterruptVectors.Kick, &OnKick, takesBigKernelLock: false, endOfInterruptFirst: true);
            EnableOnThisCpu();
        }

        /// <summary>This CPU's local APIC takes kicks from here on (an AP, once its APIC is enabled).</summary>
        public static void EnableOnThisCpu() => KernelCpu.Current->Arch.Waiting.CanHalt = 1;

        /// <summary>A CPU arriving from INIT: its APIC is reset, so it must not halt until EnableOnThisCpu.</summary>
        public static void ResetAfterInit(KernelCpu* cpu) => cpu->Arch.Waiting = default;

        /// <summary>Returns once <paramref name="words"/> serve <paramref name="ticket"/>, servicing cross-CPU calls meanwhile if asked.</summary>
        public static void WaitForTicket(TicketLock* words, int ticket, bool serviceCalls) =>
            Wait(&words->Serving, ticket, WaitCondition.Equals, &words->Halted, NoDeadline, serviceCalls, ticketLock: true);

        /// <summary>Serves the next ticket and, if a waiter may be halted, kicks its holder and the waiter next in line.</summary>
        public static void ReleaseTicket(TicketLock* words)
        {
            int served = unchecked(words->Serving + 1);
            if (CpuNative.ReleaseTicket(words) != 0) Kick(&words->Serving, served, anyTarget: false);
        }

        /// <summary>
        /// Waits until <paramref name="word"/> meets <paramref name="condition"/> for <paramref name="target"/>, or the TSC
        /// passes <paramref name="deadline"/> (then false). Whoever changes the word calls <see cref="Wake"/> with the same
        /// <paramref name="halted"/> count, which lives beside the word.
        /// </summary>
        public static bool Until(int* word, int target, WaitCondition condition, int* halted, ulong deadline, bool serviceCalls) =>
            Wait(word, target, condition, halted, deadline, serviceCalls, ticketLock: false);

        /// <summary>After changing <paramref name="word"/>: kicks the CPUs that may be halted waiting on it.</summary>
        public static void Wake(int* word, int* halted)
        {
            if (!Halting) return;
            Atomic.FullFence();                          // the change is visible before the count is read
            if (Atomic.Read(ref *halted) != 0) Kick(word, 0, anyTarget: true);
        }

        // The one wait loop. A ticket lock's waiter next in line (only the holder ahead) spins longer before it halts. The
        // TSC is read only where a budget or a deadline needs it: a spinning wait without a deadline stays a load and a pause.
        private static bool Wait(int* word, int target, WaitCondition condition, int* halted, ulong deadline, bool serviceCalls, bool ticketLock)
        {
            bool halting = Halting;
            bool timed = halting || deadline != NoDeadline;
            ulong spinStart = halting ? Tsc.Read() : 0;
            bool met;
            while (!(met = Holds(word, target, condition)))
            {
                ulong now = timed ? Tsc.Read() : 0;
                if (now > deadline) break;
                if (serviceCalls) CrossCpuCall.ServicePending();
                bool nextInLine = ticketLock && target - Atomic.Read(ref *word) == 1;
                if (halting && LockWaitPolicy.ShouldHalt(nextInLine, now - spinStart, s_spinCycles))
                {
                    HaltStep(word, target, condition, halted, deadline, serviceCalls);
                    spinStart = Tsc.Read();
                }
                else CpuNative.Pause();
            }
            RaiseDeferredTick();
            return met;
        }

        // A tick that ended a halt was not run there (the waiter may hold interrupts off, as a stop_machine participant
        // does): like a tick held pending by interrupts off, it is taken once interrupts are on again.
        private static void RaiseDeferredTick()
        {
            KernelCpu* cpu = KernelCpu.Current;
            if (cpu->Arch.Waiting.TickDeferred == 0) return;
            cpu->Arch.Waiting.TickDeferred = 0;
            LocalApic.SendIpi(0, IpiDelivery.Fixed, InterruptVectors.Timer, IpiShorthand.Self);
        }

        private static bool Holds(int* word, int target, WaitCondition condition) =>
            condition == WaitCondition.Equals ? Atomic.Read(ref *word) == target : Atomic.Read(ref *word) - target >= 0;

        // Interrupts off from the record to the hlt: a kick arriving after the check stays pending until the hlt. A wait
        // with a deadline halts only with a timer interrupt to come: the tick, or a one-shot at the deadline where the
        // tick is stopped (an idle CPU's request; the idle loop sets its timer again before it next halts).
        private static void HaltStep(int* word, int target, WaitCondition condition, int* halted, ulong deadline, bool serviceCalls)
        {
            InterruptState state = InterruptState.Disable();
            KernelCpu* cpu = KernelCpu.Current;
            if (cpu->Arch.Waiting.CanHalt == 0)
            {
                state.Restore();
                CpuNative.Pause();
                return;
            }
            if (deadline != NoDeadline && LocalApic.TimerCurrentCount == 0) LocalApicTimer.ArmOneShotAt(deadline);
            cpu->Arch.Waiting.Target = target;
            Atomic.Write(ref cpu->Arch.Waiting.Address, (ulong)word);
            Atomic.Increment(ref *halted);
            if (!Holds(word, target, condition))
            {
                ulong start = Tsc.Read();
                int outerHalt = cpu->Arch.Waiting.InHalt;     // a call run from an outer wait's halt may wait (and halt) itself
                cpu->Arch.Waiting.InHalt = 1;
                // Calls get in where the wait services them, and where the waiter had interrupts on: spinning, it would have
                // taken them, and a holder may be waiting for it in a rendezvous (stop_machine) while holding the lock.
                bool callsIn = serviceCalls || state.WasEnabled;
                CpuNative.LockHalt(callsIn ? InterruptVectors.HaltedServicingWaitPriority : InterruptVectors.HaltedWaitPriority);
                cpu->Arch.Waiting.InHalt = outerHalt;
                ulong now = Tsc.Read();
                cpu->Arch.Waiting.Halts++;
                cpu->Arch.Waiting.HaltedCycles += now - start;
                ulong kicked = Atomic.Read(ref cpu->Arch.Waiting.KickSentTsc);
                Atomic.Write(ref cpu->Arch.Waiting.KickSentTsc, 0);
                if (kicked != 0 && now > kicked) RecordKickLatency(cpu, now - kicked);
            }
            Atomic.Decrement(ref *halted);
            Atomic.Write(ref cpu->Arch.Waiting.Address, 0);
            state.Restore();
        }

        // Kicks every CPU whose record waits on `word`: for anything, or (a ticket lock) for what the release of `served` wakes.
        private static void Kick(int* word, int served, bool anyTarget)
        {
            for (int i = 0; i < Cpus.Count; i++)
            {
                KernelCpu* cpu = Cpus.Get(i);
                if (Atomic.Read(ref cpu->Arch.Waiting.Address) != (ulong)word) continue;
                if (!anyTarget && !LockWaitPolicy.ReleaseKicks(Atomic.Read(ref cpu->Arch.Waiting.Target), served)) continue;
                Atomic.Write(ref cpu->Arch.Waiting.KickSentTsc, Tsc.Read());
                KernelCpu.Current->Arch.Waiting.KicksSent++;
                LocalApic.SendIpi(cpu->ApicId, IpiDelivery.Fixed, InterruptVectors.Kick);
            }
        }

        private static void RecordKickLatency(KernelCpu* cpu, ulong cycles)
        {
            cpu->Arch.Waiting.KickLatencyCycles += cycles;
            cpu->Arch.Waiting.KickLatencies++;
            if (cycles > cpu->Arch.Waiting.LongestKickLatency) cpu->Arch.Waiting.LongestKickLatency = cycles;
        }

        /// <summary>Every CPU's wait statistics added up (the longest latency is the longest of all).</summary>
        public static WaitRecord Totals()
        {
            var total = default(WaitRecord);
            for (int i = 0; i < Cpus.Count; i++)
            {
                WaitRecord* one = &Cpus.Get(i)->Arch.Waiting;
                total.Halts += one->Halts;
                total.HaltedCycles += one->HaltedCycles;
                total.KicksSent += one->KicksSent;
                total.KicksTaken += one->KicksTaken;
                total.KickLatencyCycles += one->KickLatencyCycles;
                total.KickLatencies += one->KickLatencies;
                if (one->LongestKickLatency > total.LongestKickLatency) total.LongestKickLatency = one->LongestKickLatency;
            }
            return total;
        }

        private static void OnKick(TrapFrame* frame) => KernelCpu.Current->Arch.Waiting.KicksTaken++;
    }
}

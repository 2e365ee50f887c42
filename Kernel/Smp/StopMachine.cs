using Kernel.Arch;
using Kernel.Sync;

namespace Kernel.Smp
{
    /// <summary>
    /// stop_machine, after Linux's multi_cpu_stop: every online CPU rendezvouses with interrupts off, `fn`
    /// runs on the selected CPUs while the others wait, and every CPU executes a serialising instruction
    /// before it resumes, which is what cross-modifying code needs (SDM Vol. 3A §9.1.3 "Handling Self- and
    /// Cross-Modifying Code"). The steps — Prepare, DisableInterrupts, Run, Exit — advance when every CPU
    /// has acknowledged the current one; a CPU waiting for a step may halt (with nothing but the kick and the
    /// tick let in: Kernel/Sync/SpinThenHalt.cs), and the last to acknowledge kicks it. Each CPU's part travels
    /// as a cross-CPU call through the inbox slot it already owns, so a call allocates nothing and cannot fail
    /// for lack of resources. With one CPU
    /// online it just runs `fn` with interrupts off. One stop_machine at a time. Model: Tests/Models/StopMachine.pml.
    /// </summary>
    public static unsafe class StopMachine
    {
        private enum Step { Idle, Prepare, DisableInterrupts, Run, Exit }

        // A step waits for every online CPU. Under a hypervisor that takes as long as the host needs to run each vCPU at
        // least once: 288 vCPUs on 2 host cores took 61 s for one CPU-down, so the bound grows with the CPU count.
        private const ulong RendezvousBaseTimeoutMicros = 10_000_000;
        private const ulong RendezvousVirtualMicrosPerCpu = 1_000_000;

        private static ulong RendezvousTimeoutMicros =>
            RendezvousBaseTimeoutMicros + (Cpuid.UnderHypervisor ? RendezvousVirtualMicrosPerCpu * (ulong)Cpus.OnlineCount : 0);

        private static SpinLock s_callers;
        private static int s_step;
        private static int s_stepHalted;    // participants in a halt step waiting on s_step (Kernel/Sync/SpinThenHalt.cs)
        private static int s_acknowledged;
        private static int s_participants;
        private static CpuSet s_selected;
        private static delegate*<void*, void> s_function;
        private static void* s_argument;

        /// <summary>Runs fn(argument) on every CPU of <paramref name="selected"/> while all online CPUs are held.</summary>
        public static void Run(delegate*<void*, void> fn, void* argument, CpuSet selected)
        {
            s_callers.Acquire();
            if (Cpus.OnlineCount == 1)
            {
                InterruptState state = InterruptState.Disable();
                if (selected.Contains((int)KernelCpu.Current->Index)) RunOnThisCpu(fn, argument);
                state.Restore();
                s_callers.Release();
                return;
            }

            s_function = fn;
            s_argument = argument;
            s_selected = selected;
            CpuSet others = Cpus.OnlineSet;
            others.Remove((int)KernelCpu.Current->Index);
            s_participants = others.Count + 1;
            s_acknowledged = 0;
            Atomic.Write(ref s_step, (int)Step.Prepare);
            // Interrupts off from the first request posted until this CPU has joined: an interrupt exit in between could
            // switch processes and so wait for the big kernel lock behind a CPU already held in the rendezvous.
            InterruptState posting = InterruptState.Disable();
            if (!CrossCpuCall.CallOnSet(others, &Participate, null, wait: false))
                Panic.Halt("stop_machine: an online CPU would not take its stopper request");
            Participate(null);
            posting.Restore();
            WaitFor((int)Step.Idle);   // every CPU has acknowledged Exit: none can count towards the next call's steps
            s_callers.Release();
        }

        /// <summary>How many times each CPU has run a stop_machine function (tests check exactly-once).</summary>
        public static ulong RunsOn(int cpu) => Cpus.Get(cpu)->StopMachineRuns;

        // Every CPU, the caller included: acknowledge each step; the last to acknowledge advances the machine.
        private static void Participate(void* unused)
        {
            InterruptState state = InterruptState.Disable();
            for (int step = (int)Step.Prepare; step <= (int)Step.Exit; step++)
            {
                WaitFor(step);
                if (step == (int)Step.Run && s_selected.Contains((int)KernelCpu.Current->Index)) RunOnThisCpu(s_function, s_argument);
                Acknowledge(step);
            }
            CpuidResult serialise;
            CpuNative.Cpuid(0, 0, &serialise);   // no CPU runs code that was patched under it without serialising first
            state.Restore();
        }

        private static void RunOnThisCpu(delegate*<void*, void> fn, void* argument)
        {
            fn(argument);
            KernelCpu.Current->StopMachineRuns++;
        }

        private static void WaitFor(int step)
        {
            fixed (int* word = &s_step, halted = &s_stepHalted)
                if (!SpinThenHalt.Until(word, step, WaitCondition.Equals, halted, Tsc.DeadlineAfter(RendezvousTimeoutMicros), serviceCalls: false))
                    Panic.Halt("stop_machine: a CPU never reached the rendezvous");
        }

        private static void Acknowledge(int step)
        {
            if (Atomic.Increment(ref s_acknowledged) != s_participants) return;
            Atomic.Write(ref s_acknowledged, 0);
            Atomic.Write(ref s_step, step == (int)Step.Exit ? (int)Step.Idle : step + 1);
            fixed (int* word = &s_step, halted = &s_stepHalted) SpinThenHalt.Wake(word, halted);
        }
    }
}

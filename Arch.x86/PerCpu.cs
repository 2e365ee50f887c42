using System.Runtime.InteropServices;

namespace Kernel.Arch
{
    /// <summary>A CPU's life as the kernel sees it.</summary>
    public enum CpuState
    {
        Absent = 0,      // known from the MADT, never started
        Starting,        // INIT-SIPI-SIPI sent, not yet arrived
        Online,          // running kernel code, taking interrupts
        Failed,          // never answered within its time-out; if it wakes later it parks itself
        Parked,          // stopped by a stop IPI: interrupts off, halted, restartable with INIT-SIPI-SIPI
    }

    /// <summary>One CPU's share of the big kernel lock's statistics (Kernel/Sync/BigKernelLock.cs).</summary>
    public struct LockStatistics
    {
        public ulong Acquisitions;
        public ulong Contended;        // acquisitions that found another CPU ahead
        public ulong WaitCycles;       // TSC cycles spent spinning
        public ulong LongestWait;      // the longest single spin, in TSC cycles
    }

    /// <summary>One CPU's waiting (Kernel/Sync/SpinThenHalt.cs): the record wakers scan, and its statistics.</summary>
    public struct WaitRecord
    {
        public ulong Address;          // the word this CPU may be halted on (a ticket lock's Serving), or 0; wakers read it
        public int Target;             // the value it waits for the word to reach (its ticket)
        public int InHalt;             // 1 from sti to cli around a wait's hlt (and in what interrupts it): interrupts then return straight to the wait
        public int CanHalt;            // 1 once its local APIC takes kicks (cleared at INIT and NMI)
        public int TickDeferred;       // a tick ended a halt: it is raised again when the wait is over
        public ulong KickSentTsc;      // stamped by the CPU that kicks this one, just before the IPI
        public ulong Halts;            // halt steps that halted
        public ulong HaltedCycles;     // TSC cycles spent halted
        public ulong KicksSent;
        public ulong KicksTaken;       // kick interrupts this CPU took
        public ulong KickLatencyCycles;    // summed over kicks from the kicker's stamp to running again
        public ulong KickLatencies;        // how many kicks the sum covers
        public ulong LongestKickLatency;
    }

    /// <summary>
    /// Each CPU's private block, found through the GS base: `mov rax, [gs:0]` yields the block itself
    /// (Self at offset 0). Index is the dense CPU number (0..N-1) every per-CPU array uses; ApicId is
    /// the hardware's name for the CPU, sparse, and never an index.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct PerCpu
    {
        public PerCpu* Self;
        public uint Index;
        public uint ApicId;
        public uint AcpiUid;                   // the MADT's processor UID (NMI routing, hot-plug selector)
        public CpuTables* Tables;
        public RecoveryPoint* FaultRecovery;   // set while FaultCatcher.Catch runs code expected to fault
        public CaughtFault* CaughtFault;
        public int State;                      // CpuState, changed with Atomic: other CPUs watch it
        public int ReportedDead;               // 1 once a departing CPU has finished everything and halted
        public ulong IdleWork;                 // delegate*<void>: what an idle AP runs, interrupts on (Kernel/Smp/IdleWork.cs)
        public ulong OnlineSinceTsc;
        public ulong TimerTicks;               // local APIC timer interrupts taken by this CPU
        public ulong StackTop;
        public void* CallInbox;                // CallSlot[Cpus.Capacity], one per sending CPU (Kernel/Smp/CrossCpuCall.cs)
        public ulong CallsServed;
        public ulong StopMachineRuns;
        public ulong RescheduleRequests;
        public LockStatistics Bkl;
        public int BklWaiting;                 // 1 while waiting for the big kernel lock
        public WaitRecord Waiting;
        public int HandlerNesting;             // interrupt handlers and cross-CPU requests running: a fault there is the kernel's
        public int BklInterruptsWereEnabled;   // restored when the holder leaves the lock
        public int NeedResched;                // 1: reschedule at the next interrupt exit or kernel exit (Kernel/Proc/Scheduler.cs)
        public int QuantumLeft;                // ticks the running process has left before the next process of its priority gets a turn
        public ulong ContextSwitches;

        private static PerCpu s_bootCpu;

        public static PerCpu* Current => CpuNative.PerCpuSelf();

        public CpuState CpuState => (CpuState)Atomic.Read(ref State);

        /// <summary>The current CPU's index, or 0 while GS is not set up yet (very early boot).</summary>
        public static uint CurrentIndex => Msrs.Read(Msr.Ia32GsBase) == 0 ? 0 : Current->Index;

        /// <summary>Gives the boot CPU its block. Needs no allocation: the block is a static.</summary>
        public static void InitializeBootCpu()
        {
            fixed (PerCpu* cpu = &s_bootCpu)
            {
                cpu->Self = cpu;
                cpu->Index = 0;
                cpu->ApicId = Cpuid.ApicId;
                cpu->State = (int)CpuState.Online;
                cpu->OnlineSinceTsc = CpuNative.ReadTsc();
                Install(cpu);
            }
        }

        /// <summary>Points this CPU's GS base at <paramref name="cpu"/> (after every GDT load, which clears GS).</summary>
        public static void Install(PerCpu* cpu) => Msrs.Write(Msr.Ia32GsBase, (ulong)cpu);
    }
}

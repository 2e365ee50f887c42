using System.Runtime.InteropServices;

namespace Kernel.Arch
{
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
    /// the hardware's name for the CPU, sparse, and never an index. This is Arch's part: the kernel's parts
    /// (hot-plug state, scheduler, lock statistics, call inbox) follow it in the same block, typed by their owners
    /// (Kernel/Smp/KernelCpu.cs), and the kernel hands Arch the block to install.
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
        public ulong TimerTicks;               // local APIC timer interrupts taken by this CPU
        public WaitRecord Waiting;             // the halting wait's record: the interrupt dispatcher reads it too
        public int HandlerNesting;             // interrupt handlers and cross-CPU requests running: a fault there is the kernel's

        public static PerCpu* Current => CpuNative.PerCpuSelf();

        /// <summary>The current CPU's index, or 0 while GS is not set up yet (very early boot).</summary>
        public static uint CurrentIndex => Msrs.Read(Msr.Ia32GsBase) == 0 ? 0 : Current->Index;

        /// <summary>Makes <paramref name="cpu"/> (zeroed, never moving) the boot CPU's block, CPU 0, and installs it.</summary>
        public static void InitializeBootCpu(PerCpu* cpu)
        {
            cpu->Self = cpu;
            cpu->Index = 0;
            cpu->ApicId = Cpuid.ApicId;
            Install(cpu);
        }

        /// <summary>Points this CPU's GS base at <paramref name="cpu"/> (after every GDT load, which clears GS).</summary>
        public static void Install(PerCpu* cpu) => Msrs.Write(Msr.Ia32GsBase, (ulong)cpu);
    }
}

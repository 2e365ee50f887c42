using System.Runtime.InteropServices;

namespace Kernel.Arch
{
    /// <summary>
    /// Each CPU's private block, found through the GS base: `mov rax, [gs:0]` yields the block itself
    /// (Self at offset 0). Index is the dense CPU number (0..N-1) every per-CPU array uses; ApicId is
    /// the hardware's name for the CPU, sparse, and never an index.
    /// </summary>
    /// <summary>A CPU's life as the kernel sees it.</summary>
    public enum CpuState
    {
        Absent = 0,      // known from the MADT, never started
        Starting,        // INIT-SIPI-SIPI sent, not yet arrived
        Online,          // running kernel code, taking interrupts
        Failed,          // never answered within its time-out; if it wakes later it parks itself
    }

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
        public int State;                      // CpuState, written with Volatile/Interlocked: other CPUs watch it
        public ulong OnlineSinceTsc;
        public ulong TimerTicks;               // local APIC timer interrupts taken by this CPU
        public ulong StackTop;
        public ulong CallFunction;             // cross-CPU call mailbox (Kernel/Smp/CrossCpuCall.cs)
        public ulong CallArgument;
        public int CallRequested;              // sequence numbers: requested == completed when idle
        public int CallCompleted;

        private static PerCpu s_bootCpu;

        public static PerCpu* Current => CpuNative.PerCpuSelf();

        public CpuState CpuState => (CpuState)System.Threading.Volatile.Read(ref State);

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

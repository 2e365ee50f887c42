using System.Runtime.InteropServices;

namespace Kernel.Arch
{
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
        public CpuTables* Tables;
        public RecoveryPoint* FaultRecovery;   // set while FaultCatcher.Catch runs code expected to fault
        public CaughtFault* CaughtFault;

        private static PerCpu s_bootCpu;

        public static PerCpu* Current => CpuNative.PerCpuSelf();

        /// <summary>The current CPU's index, or 0 while GS is not set up yet (very early boot).</summary>
        public static uint CurrentIndex => Msrs.Read(Msr.Ia32GsBase) == 0 ? 0 : Current->Index;

        /// <summary>Gives the boot CPU its block. Needs no allocation: the block is a static.</summary>
        public static void InitializeBootCpu()
        {
            fixed (PerCpu* cpu = &s_bootCpu)
            {
                cpu->Self = cpu;
                cpu->Index = 0;
                cpu->ApicId = Cpuid.InitialApicId;
                Install(cpu);
            }
        }

        /// <summary>Points this CPU's GS base at <paramref name="cpu"/> (after every GDT load, which clears GS).</summary>
        public static void Install(PerCpu* cpu) => Msrs.Write(Msr.Ia32GsBase, (ulong)cpu);
    }
}

using System.Runtime.InteropServices;

namespace Kernel.Arch
{
    /// <summary>
    /// What Bridge/ContextSwitch.asm leaves on a stack it switches away from, lowest address first: the SSE and
    /// x87 control words (the only floating-point state the SysV ABI makes callee-saved), rflags, the
    /// callee-saved general registers, and the return address. The saved stack pointer points at Mxcsr. A new
    /// process's stack starts with one of these, built by the scheduler, whose return address is process_start.
    /// </summary>
    [AsmShared]
    [StructLayout(LayoutKind.Sequential)]
    public struct SwitchFrame
    {
        public uint Mxcsr;
        public uint FpuControl;
        public ulong Rflags;
        public ulong R15, R14, R13, R12, Rbx, Rbp;
        public ulong ReturnAddress;

        public const uint DefaultMxcsr = 0x1F80;        // all exceptions masked, round to nearest (SDM Vol. 1 §10.2.3.1)
        public const uint DefaultFpuControl = 0x037F;   // FNINIT's control word (SDM Vol. 1 §8.1.5)
        public const ulong ReservedFlag = 1UL << 1;     // rflags bit 1 always reads 1; IF stays 0 (SDM Vol. 1 §3.4.3)
    }
}

using System.Runtime.InteropServices;

namespace Kernel.Arch
{
    /// <summary>
    /// The stack frame InterruptStubs.asm builds on every interrupt and exception: general registers
    /// saved by the stub (at the offsets generated from this struct), then the vector, then the error
    /// code and the frame the CPU pushed itself (SDM Vol. 3A §6.14.2 "64-Bit Mode Stack Frame").
    /// The stub asserts at assembly time that Vector, ErrorCode and Rip..Ss are consecutive.
    /// </summary>
    [AsmShared]
    [StructLayout(LayoutKind.Sequential)]
    public struct TrapFrame
    {
        public ulong R15, R14, R13, R12, R11, R10, R9, R8;
        public ulong Rbp, Rdi, Rsi, Rdx, Rcx, Rbx, Rax;
        public ulong Vector;
        public ulong ErrorCode;
        public ulong Rip, Cs, Rflags, Rsp, Ss;
    }
}

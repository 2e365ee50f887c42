using System.Runtime.InteropServices;

namespace Kernel.Arch
{
    /// <summary>What Bridge/Context.asm saves to resume a cpu_try_call (callee-saved registers, rsp, rip, rflags).</summary>
    [AsmShared]
    [StructLayout(LayoutKind.Sequential)]
    public struct RecoveryPoint
    {
        public ulong Rbx, Rbp, R12, R13, R14, R15, Rsp, Rip, Rflags;
    }
}

using System.Runtime.InteropServices;

namespace Kernel.Arch
{
    /// <summary>
    /// The words of a ticket lock: Kernel/Sync/SpinLock.cs and Kernel/Sync/BigKernelLock.cs hold one each, Kernel/Sync/SpinThenHalt.cs
    /// waits on it, and Bridge/Locks.asm draws tickets from it and serves them. Halted sits beside Serving so the releaser
    /// reads it from the line it has just written.
    /// </summary>
    [AsmShared]
    [StructLayout(LayoutKind.Sequential)]
    public struct TicketLock
    {
        public int Next;       // the dispenser: the ticket the next CPU to ask gets
        public int Serving;    // the ticket whose holder may enter; only the holder writes it
        public int Halted;     // waiters inside their halt step: while it is 0 a release kicks nobody
        public int Padding;
    }
}

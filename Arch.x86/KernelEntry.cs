using Kernel.Lib;

namespace Kernel.Arch
{
    /// <summary>
    /// How Arch.x86 calls up into the kernel: entry points the kernel registers once at boot, before it takes its
    /// first interrupt, as seL4's arch code calls handleInterruptEntry. Arch knows that there is a big kernel lock to
    /// take around some handlers, an interrupt exit, a tick and process faults; what they do is the kernel's
    /// (docs/layers.md). Unregistered, an entry does nothing.
    /// </summary>
    public static unsafe class KernelEntry
    {
        internal static delegate*<void> EnterKernel;                  // before a handler registered to run under the big kernel lock
        internal static delegate*<void> LeaveKernel;                  // after it
        internal static delegate*<void> InterruptExit;                // after an interrupt's EOI: alarms, rescheduling
        internal static delegate*<PerCpu*, void> Tick;                // each local APIC timer tick, on its CPU
        internal static delegate*<ref TextBuffer, bool> ProcessFault; // an exception: true if it ended the process that caused it

        public static void Register(delegate*<void> enterKernel, delegate*<void> leaveKernel, delegate*<void> interruptExit,
                                    delegate*<PerCpu*, void> tick, delegate*<ref TextBuffer, bool> processFault)
        {
            EnterKernel = enterKernel;
            LeaveKernel = leaveKernel;
            InterruptExit = interruptExit;
            Tick = tick;
            ProcessFault = processFault;
        }
    }
}

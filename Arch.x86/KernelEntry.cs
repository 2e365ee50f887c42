using System.Diagnostics.CodeAnalysis;
using Kernel.Lib;

namespace Kernel.Arch
{
    /// <summary>
    /// How Arch.x86 calls up into the kernel: entry points the kernel registers at boot, as seL4's arch code calls
    /// handleInterruptEntry. Arch knows that there is a big kernel lock to take around some handlers, an interrupt
    /// exit, a tick, process faults, console input, firmware hot-plug events and a way to stop the machine; what they
    /// do is the kernel's (docs/layers.md). Unregistered, an entry does nothing, except the failures: before the
    /// kernel registers its panic there is no console to report on, so the CPU halts.
    /// </summary>
    public static unsafe class KernelEntry
    {
        internal static delegate*<void> EnterKernel;                  // before a handler registered to run under the big kernel lock
        internal static delegate*<void> LeaveKernel;                  // after it
        internal static delegate*<void> InterruptExit;                // after an interrupt's EOI: alarms, rescheduling
        internal static delegate*<PerCpu*, void> Tick;                // each local APIC timer tick, on its CPU
        internal static delegate*<ref TextBuffer, bool> ProcessFault; // an exception: true if it ended the process that caused it

        private static delegate*<ref TextBuffer, TrapFrame*, void> s_panic;                  // never returns
        private static delegate*<ref TextBuffer, TrapFrame*, ulong, void> s_fatalException;  // reason, frame, CR2; never returns
        private static delegate*<TrapFrame*, void> s_nonMaskableInterrupt;
        private static delegate*<byte*, int, void> s_consoleInput;
        private static delegate*<void> s_firmwareHotplugEvent;

        /// <summary>The kernel's way to stop: registered first, before any interrupt or exception can arrive.</summary>
        public static void RegisterFailures(delegate*<ref TextBuffer, TrapFrame*, void> panic,
                                            delegate*<ref TextBuffer, TrapFrame*, ulong, void> fatalException,
                                            delegate*<TrapFrame*, void> nonMaskableInterrupt)
        {
            s_panic = panic;
            s_fatalException = fatalException;
            s_nonMaskableInterrupt = nonMaskableInterrupt;
        }

        /// <summary>Before the first interrupt: the big kernel lock around handlers that take it, the interrupt exit, the tick, process faults.</summary>
        public static void Register(delegate*<void> enterKernel, delegate*<void> leaveKernel, delegate*<void> interruptExit,
                                    delegate*<PerCpu*, void> tick, delegate*<ref TextBuffer, bool> processFault)
        {
            EnterKernel = enterKernel;
            LeaveKernel = leaveKernel;
            InterruptExit = interruptExit;
            Tick = tick;
            ProcessFault = processFault;
        }

        /// <summary>Before devices are routed: where typed bytes go, and who hears of a firmware hot-plug event.</summary>
        public static void RegisterEvents(delegate*<byte*, int, void> consoleInput, delegate*<void> firmwareHotplugEvent)
        {
            s_consoleInput = consoleInput;
            s_firmwareHotplugEvent = firmwareHotplugEvent;
        }

        [DoesNotReturn]
        internal static void Panic(string reason)
        {
            var text = new TextBuffer();
            text.Append(reason);
            Panic(ref text);
        }

        [DoesNotReturn]
        internal static void Panic(ref TextBuffer reason, TrapFrame* frame = null)
        {
            if (s_panic != null) s_panic(ref reason, frame);
            CpuNative.HaltForever();
        }

        /// <summary>An exception no one recovers from: the kernel reports the frame and stops.</summary>
        [DoesNotReturn]
        internal static void FatalException(ref TextBuffer reason, TrapFrame* frame, ulong cr2)
        {
            if (s_fatalException != null) s_fatalException(ref reason, frame, cr2);
            CpuNative.HaltForever();
        }

        internal static void NonMaskableInterrupt(TrapFrame* frame)
        {
            if (s_nonMaskableInterrupt == null) CpuNative.HaltForever();
            s_nonMaskableInterrupt(frame);
        }

        /// <summary>Bytes typed at the console, from a device's interrupt handler (big kernel lock held).</summary>
        internal static void ConsoleInput(byte* bytes, int count)
        {
            if (s_consoleInput != null && count > 0) s_consoleInput(bytes, count);
        }

        /// <summary>The firmware announced a CPU hot-plug event, from its interrupt handler (big kernel lock held).</summary>
        internal static void FirmwareHotplugEvent()
        {
            if (s_firmwareHotplugEvent != null) s_firmwareHotplugEvent();
        }
    }
}

using System.Runtime;
using Kernel.Lib;

namespace Kernel.Arch
{
    /// <summary>
    /// Where every interrupt and exception arrives (Bridge/InterruptStubs.asm calls trap_dispatch with
    /// the frame it built). Exceptions either resume a self-test that provoked them on purpose
    /// (FaultCatcher) or go to the kernel, which prints the full report and panics; nothing ever triple-faults silently.
    /// </summary>
    public static unsafe class Interrupts
    {
        private static readonly ulong[] s_handlers = new ulong[Vectors.Count];   // delegate*<TrapFrame*, void> per vector
        private static readonly bool[] s_takesBigKernelLock = new bool[Vectors.Count];
        private static readonly bool[] s_endOfInterruptFirst = new bool[Vectors.Count];

        /// <summary>
        /// Installs the handler for a device or IPI vector. Handlers run with interrupts off and must not
        /// allocate. Kernel entries (timer, devices) take the big kernel lock around the handler; the
        /// cross-CPU requests the lock's waiters must keep servicing (call-function, stop) do not. With
        /// <paramref name="endOfInterruptFirst"/> the EOI comes before the handler, as Linux acknowledges its
        /// call-function IPIs: the vector then no longer holds the processor priority up while its handler runs, so a
        /// request that waits for a lock can still be kicked out of a halt (Kernel/Sync/SpinThenHalt.cs).
        /// </summary>
        public static void Register(byte vector, delegate*<TrapFrame*, void> handler, bool takesBigKernelLock, bool endOfInterruptFirst = false)
        {
            // In service, such a vector would hold back the kick of a wait inside its handler for good.
            if (handler != null && vector >> 4 > (int)InterruptVectors.HaltedServicingWaitPriority && !endOfInterruptFirst)
                KernelEntry.Panic("interrupts: a vector of the classes halted waits take must send its EOI before its handler runs");
            s_handlers[vector] = (ulong)handler;
            s_takesBigKernelLock[vector] = takesBigKernelLock;
            s_endOfInterruptFirst[vector] = endOfInterruptFirst;
        }

        /// <summary>Removes a vector's handler (a test's, once it is done with the vector).</summary>
        public static void Unregister(byte vector) => Register(vector, null, takesBigKernelLock: false);

        /// <summary>Whether a handler is installed for the vector.</summary>
        public static bool IsRegistered(byte vector) => s_handlers[vector] != 0;

        [RuntimeExport("trap_dispatch")]
        private static void Dispatch(TrapFrame* frame)
        {
            ulong vector = frame->Vector;
            if (vector == (ulong)ExceptionVector.NonMaskableInterrupt)
            {
                PerCpu.Current->Waiting.CanHalt = 0;   // an NMI handler must not open interrupts in a wait
                KernelEntry.NonMaskableInterrupt(frame);
                return;
            }
            if (ExceptionReport.IsException(vector))
            {
                HandleException(frame);
                return;
            }
            // Spurious interrupts get no EOI (SDM Vol. 3A §11.9); the retired 8259s only ever send spurious ones.
            if (vector == InterruptVectors.Spurious || InterruptVectors.IsLegacyPic(vector)) return;
            ulong handler = s_handlers[(byte)vector];
            PerCpu* cpu = PerCpu.Current;
            bool endedFirst = s_endOfInterruptFirst[(byte)vector];
            if (endedFirst) LocalApic.EndOfInterrupt();
            if (vector == InterruptVectors.Timer && cpu->Waiting.InHalt != 0)
            {
                cpu->Waiting.TickDeferred = 1;   // it only ends the halt, for a deadline check: the wait raises it again when over
                return;
            }
            cpu->HandlerNesting++;
            if (handler == 0)
                Log.Warn("irq", $"interrupt on vector {vector} with no handler (CPU {PerCpu.Current->Index})");
            else if (s_takesBigKernelLock[(byte)vector])
            {
                KernelEntry.EnterKernel();
                ((delegate*<TrapFrame*, void>)handler)(frame);
                KernelEntry.LeaveKernel();
            }
            else ((delegate*<TrapFrame*, void>)handler)(frame);
            cpu->HandlerNesting--;
            if (!endedFirst) LocalApic.EndOfInterrupt();
            if (cpu->Waiting.InHalt != 0) return;   // a kick or call that ended a wait's halt: back to the wait
            if (KernelEntry.InterruptExit != null) KernelEntry.InterruptExit();   // after EOI: a switch may not come back here for a long time
        }

        private static void HandleException(TrapFrame* frame)
        {
            ulong cr2 = CpuNative.ReadCr2();
            PerCpu* cpu = PerCpu.Current;
            var reason = new TextBuffer();
            ExceptionReport.AppendSummary(ref reason, frame, cr2);
            if (KernelEntry.ProcessFault != null && KernelEntry.ProcessFault(ref reason)) return;   // a process's fault ends the process only
            if (FaultCatcher.TryRecover(cpu, frame, cr2)) return;

            KernelEntry.FatalException(ref reason, frame, cr2);
        }
    }
}

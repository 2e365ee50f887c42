using System.Runtime;
using Kernel.Diagnostics;
using Kernel.Lib;

namespace Kernel.Arch
{
    /// <summary>
    /// Where every interrupt and exception arrives (Bridge/InterruptStubs.asm calls trap_dispatch with
    /// the frame it built). Exceptions either resume a self-test that provoked them on purpose
    /// (FaultCatcher) or print the full report and panic; nothing ever triple-faults silently.
    /// </summary>
    public static unsafe class Interrupts
    {
        [RuntimeExport("trap_dispatch")]
        private static void Dispatch(TrapFrame* frame)
        {
            if (ExceptionReport.IsException(frame->Vector))
            {
                HandleException(frame);
                return;
            }
            Log.Warn("irq", $"unexpected interrupt on vector {frame->Vector} (no handler)");
        }

        private static void HandleException(TrapFrame* frame)
        {
            ulong cr2 = CpuNative.ReadCr2();
            PerCpu* cpu = PerCpu.Current;
            if (FaultCatcher.TryRecover(cpu, frame, cr2)) return;

            ExceptionReport.Write(frame, cr2, PerCpu.CurrentIndex, &Console.WriteLine);
            var reason = new TextBuffer();
            ExceptionReport.AppendSummary(ref reason, frame, cr2);
            Panic.Halt(ref reason);
        }
    }
}

using System.Diagnostics.CodeAnalysis;
using Kernel.Arch;
using Kernel.Diagnostics;
using Kernel.Lib;

namespace Kernel
{
    /// <summary>
    /// The end of the line for the whole machine. The panicking CPU prints its reason, then stops every
    /// other CPU with an NMI (which arrives even where interrupts are off); each of those prints one line
    /// with its state and halts. Uses no static references and allocates nothing, so it works before
    /// statics are initialised and when the heap is exhausted. Under the self-test runner it also prints
    /// `SELFTEST: PANIC <reason>` and ends QEMU with the panic status.
    /// </summary>
    public static unsafe class Panic
    {
        private const ulong StopTimeoutMicros = 1_000_000;

        private static int s_depth;
        private static int s_panickingCpuPlusOne;
        private static int s_stopped;

        public static bool InProgress => Sync.Atomic.Read(ref s_panickingCpuPlusOne) != 0;

        [DoesNotReturn]
        public static void Halt(string reason)
        {
            var text = new TextBuffer();
            text.Append(reason);
            Halt(ref text);
        }

        [DoesNotReturn]
        public static void Halt(ref TextBuffer reason)
        {
            CpuNative.DisableInterrupts();
            Console.EnterPanicMode();
            if (Kernel.Sync.Atomic.Increment(ref s_depth) > 1)
            {
                // A second panic (nested, or on another CPU): print what we can and stop, nothing clever.
                Console.WriteLine("PANIC (nested)");
                Console.WriteLine(ref reason);
                CpuNative.HaltForever();
            }

            uint self = PerCpu.CurrentIndex;
            var line = new TextBuffer();
            line.Append("PANIC on CPU ");
            line.AppendDecimal(self);
            line.Append(": ");
            AppendReason(ref line, ref reason);
            Console.WriteLine(ref line);
            StopOtherCpus(self);

            if (SelfTest.SelfTestRunner.Active)
            {
                line.Clear();
                line.Append("SELFTEST: PANIC ");
                AppendReason(ref line, ref reason);
                Console.WriteLine(ref line);
                QemuDebugExit.Exit(GuestExitCode.Panic);
            }
            Console.WriteLine("System halted.");
            CpuNative.HaltForever();
        }

        /// <summary>
        /// An NMI: during a panic, the request to stop (print one line, halt with NMIs blocked, since no IRET
        /// follows); otherwise a hardware NMI, which is fatal.
        /// </summary>
        public static void OnNonMaskableInterrupt(TrapFrame* frame)
        {
            if (!InProgress)
            {
                ExceptionReport.Write(frame, CpuNative.ReadCr2(), PerCpu.CurrentIndex, &Console.WriteLine);
                Proc.Scheduler.Report();
                Halt("unexpected non-maskable interrupt (hardware error or watchdog)");
            }
            var line = new TextBuffer();
            line.Append("CPU ");
            line.AppendDecimal(PerCpu.CurrentIndex);
            line.Append(" stopped by NMI: rip 0x");
            line.AppendHex(frame->Rip, 16);
            line.Append(' ');
            SymbolMap.AppendSymbol(ref line, frame->Rip);
            line.Append(", interrupts ");
            line.Append((frame->Rflags & (1UL << 9)) != 0 ? "on" : "off");
            line.Append(", big kernel lock ");
            line.Append(Sync.BigKernelLock.HeldByCurrentCpu ? "held" : "not held");
            Console.WriteLine(ref line);
            Sync.Atomic.Increment(ref s_stopped);
            CpuNative.HaltForever();
        }

        // NMI every other CPU and wait (bounded) until each has reported itself stopped.
        private static void StopOtherCpus(uint self)
        {
            Sync.Atomic.Write(ref s_panickingCpuPlusOne, (int)self + 1);
            int others = Smp.Cpus.OnlineCount - 1;
            if (others <= 0 || !Smp.Ipi.SendNmiToAllButSelf()) return;
            ulong deadline = Tsc.DeadlineAfter(StopTimeoutMicros);
            while (Sync.Atomic.Read(ref s_stopped) < others && Tsc.Read() < deadline) CpuNative.Pause();
            var line = new TextBuffer();
            line.Append("panic: ");
            line.AppendDecimal((ulong)Sync.Atomic.Read(ref s_stopped));
            line.Append(" of ");
            line.AppendDecimal((ulong)others);
            line.Append(" other CPUs stopped");
            Console.WriteLine(ref line);
        }

        [DoesNotReturn]
        public static void UnhandledException(object exception)
        {
            var text = new TextBuffer();
            text.Append("unhandled ");
            SymbolMap.AppendTypeName(ref text, exception);
            if (exception is System.Exception e && e.Message != null)
            {
                text.Append(": ");
                text.Append(e.Message);
            }
            Halt(ref text);
        }

        private static void AppendReason(ref TextBuffer line, ref TextBuffer reason)
        {
            char* chars = stackalloc char[TextBuffer.Capacity + 1];
            line.Append(chars, reason.CopyTo(chars, TextBuffer.Capacity + 1));
        }
    }
}

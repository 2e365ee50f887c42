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
    /// `SELFTEST: PANIC <reason>` and ends QEMU with the panic status. The report always ends with one
    /// machine-readable line: `PANIC {"cpu":N,"vector":V|null,"rip":"0x…"|null,"stopped":S,"of":O,"reason":"…"}`.
    /// </summary>
    public static unsafe class Panic
    {
        private const ulong StopTimeoutMicros = 1_000_000;
        private const int JsonReasonBudget = 140;   // escaped characters: with the other fields (at most ~95) the line fits one TextBuffer

        private static int s_depth;

        /// <summary>Set by the self-test runner while tests run: a panic then prints `SELFTEST: PANIC reason` and ends QEMU.</summary>
        public static bool SelfTestsRunning { get; set; }
        private static int s_panickingCpuPlusOne;
        private static int s_stopped;

        public static bool InProgress => Atomic.Read(ref s_panickingCpuPlusOne) != 0;

        [DoesNotReturn]
        public static void Halt(string reason)
        {
            var text = new TextBuffer();
            text.Append(reason);
            Halt(ref text);
        }

        [DoesNotReturn]
        public static void Halt(ref TextBuffer reason) => Halt(ref reason, null);

        /// <summary>A panic caused by an exception or NMI: <paramref name="frame"/> gives the vector and RIP for the final JSON line.</summary>
        [DoesNotReturn]
        public static void Halt(ref TextBuffer reason, TrapFrame* frame)
        {
            CpuNative.DisableInterrupts();
            Console.EnterPanicMode();
            if (Atomic.Increment(ref s_depth) > 1)
            {
                // A second panic (nested, or on another CPU): print what we can and stop, nothing clever.
                Console.WriteLine("PANIC (nested)");
                Console.WriteLine(ref reason);
                CpuNative.HaltForever();
            }

            uint self = PerCpu.CurrentIndex;
            var line = new TextBuffer();
            line.Append($"PANIC on CPU {self}: ");
            line.Append(ref reason);
            Console.WriteLine(ref line);
            int others = StopOtherCpus(self);

            bool selfTest = SelfTestsRunning;
            if (selfTest)
            {
                line.Clear();
                line.Append("SELFTEST: PANIC ");
                line.Append(ref reason);
                Console.WriteLine(ref line);
            }
            else Console.WriteLine("System halted.");
            WriteJsonLine(self, frame, others, ref reason);
            if (selfTest) EmulatorExit.Exit(GuestExitCode.Panic);
            CpuNative.HaltForever();
        }

        private static void WriteJsonLine(uint self, TrapFrame* frame, int others, ref TextBuffer reason)
        {
            var line = new TextBuffer();
            line.Append($"PANIC {{\"cpu\":{self},\"vector\":");
            if (frame == null) line.Append("null,\"rip\":null");
            else line.Append($"{frame->Vector},\"rip\":\"0x{frame->Rip:x16}\"");
            line.Append($",\"stopped\":{Atomic.Read(ref s_stopped)},\"of\":{(others > 0 ? others : 0)},\"reason\":\"");
            AppendJsonEscaped(ref line, ref reason, JsonReasonBudget);
            line.Append("\"}");
            Console.WriteLine(ref line);
        }

        // RFC 8259 §7: quote and backslash escaped, control characters as \u00XX; stops before exceeding the budget.
        private static void AppendJsonEscaped(ref TextBuffer line, ref TextBuffer text, int budget)
        {
            int used = 0;
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                int width = c == '"' || c == '\\' ? 2 : c < ' ' ? 6 : 1;
                if (used + width > budget) return;
                used += width;
                if (width == 1) line.Append(c);
                else if (width == 2)
                {
                    line.Append('\\');
                    line.Append(c);
                }
                else
                {
                    line.Append("\\u00");
                    line.AppendHex(c, 2);
                }
            }
        }

        /// <summary>An exception nothing recovered from: the full report (registers, stack, symbols), then the panic.</summary>
        [DoesNotReturn]
        public static void OnFatalException(ref TextBuffer reason, TrapFrame* frame, ulong cr2)
        {
            ExceptionReport.Write(frame, cr2, PerCpu.CurrentIndex, &Console.WriteLine);
            Halt(ref reason, frame);
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
                var reason = new TextBuffer();
                reason.Append("unexpected non-maskable interrupt (hardware error or watchdog)");
                Halt(ref reason, frame);
            }
            var line = new TextBuffer();
            line.Append($"CPU {PerCpu.CurrentIndex} stopped by NMI: rip 0x{frame->Rip:x16} ");
            SymbolMap.AppendSymbol(ref line, frame->Rip);
            line.Append($", interrupts {((frame->Rflags & (1UL << 9)) != 0 ? "on" : "off")}, big kernel lock {(Sync.BigKernelLock.HeldByCurrentCpu ? "held" : "not held")}");
            Console.WriteLine(ref line);
            Atomic.Increment(ref s_stopped);
            CpuNative.HaltForever();
        }

        // NMI every other CPU and wait (bounded) until each has reported itself stopped. Returns how many were asked.
        private static int StopOtherCpus(uint self)
        {
            Atomic.Write(ref s_panickingCpuPlusOne, (int)self + 1);
            int others = Smp.Cpus.OnlineCount - 1;
            if (others <= 0 || !Smp.Ipi.SendNmiToAllButSelf()) return 0;
            ulong deadline = Tsc.DeadlineAfter(StopTimeoutMicros);
            while (Atomic.Read(ref s_stopped) < others && Tsc.Read() < deadline) CpuNative.Pause();
            var line = new TextBuffer();
            line.Append($"panic: {Atomic.Read(ref s_stopped)} of {others} other CPUs stopped");
            Console.WriteLine(ref line);
            return others;
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
    }
}

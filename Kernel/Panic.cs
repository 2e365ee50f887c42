using System.Diagnostics.CodeAnalysis;
using Kernel.Arch;
using Kernel.Diagnostics;
using Kernel.Lib;

namespace Kernel
{
    /// <summary>
    /// The end of the line for the whole machine. Uses no static references and allocates nothing, so
    /// it works before statics are initialised and when the heap is exhausted. Under the self-test
    /// runner it also prints `SELFTEST: PANIC <reason>` and ends QEMU with the panic status.
    /// </summary>
    public static unsafe class Panic
    {
        private static int s_depth;

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
            if (System.Threading.Interlocked.Increment(ref s_depth) > 1)
            {
                // A second panic (nested, or on another CPU): print what we can and stop, nothing clever.
                Console.WriteLine("PANIC (nested)");
                Console.WriteLine(ref reason);
                CpuNative.HaltForever();
            }

            var line = new TextBuffer();
            line.Append("PANIC on CPU ");
            line.AppendDecimal(PerCpu.CurrentIndex);
            line.Append(": ");
            AppendReason(ref line, ref reason);
            Console.WriteLine(ref line);

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

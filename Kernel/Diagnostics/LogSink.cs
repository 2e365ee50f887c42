using Kernel.Arch;
using Kernel.Lib;

namespace Kernel.Diagnostics
{
    /// <summary>
    /// Where the log's lines go (Kernel/Lib/Log.cs formats them): the ring the shell's `log` reads, then the console.
    /// Their time stamps come from the TSC.
    /// </summary>
    public static unsafe class LogSink
    {
        public static void Attach() => Log.Attach(&MicrosecondsSinceBoot, &Emit);

        private static ulong MicrosecondsSinceBoot() => Tsc.MicrosecondsSinceBoot;

        private static void Emit(ref TextBuffer line)
        {
            LogRing.Append(ref line);
            Console.WriteLine(ref line);
        }
    }
}

using Kernel.Arch;
using Kernel.Diagnostics;
using Kernel.Lib;

namespace Kernel.Proc
{
    /// <summary>
    /// What a server needs done by the kernel itself, each call granted to the one server whose job it is (MINIX's
    /// privilege table): the console server drives the console device, the clock server turns microseconds into TSC
    /// deadlines and sets the kernel's alarm (Alarm.Set). Any other process doing so would bypass its server. (Reading
    /// the TSC is no privilege: any process may, through Snapshots.TscNow.)
    /// </summary>
    public static unsafe class KernelCalls
    {
        /// <summary>Bytes to the console (serial and screen) as they are.</summary>
        [ProcessApi("console")]
        public static void ConsoleWrite(byte* text, int count) => Console.Write(text, count);

        /// <summary>One whole line to the console, then a line end; no other CPU's output lands inside it.</summary>
        [ProcessApi("console")]
        public static void ConsoleWriteLine(ref TextBuffer line) => Console.WriteLine(ref line);

        /// <summary>Up to <paramref name="max"/> typed bytes from the input ring; 0 when nothing is waiting.</summary>
        [ProcessApi("console")]
        public static int TakeInput(byte* into, int max) => ConsoleInput.Take(into, max);

        /// <summary>The TSC value <paramref name="micros"/> microseconds from now (the unit of Alarm.Set).</summary>
        [ProcessApi("clock")]
        public static ulong TscDeadlineAfter(ulong micros) => Tsc.DeadlineAfter(micros);

        [ProcessApi("clock")]
        public static ulong MicrosecondsSinceBoot() => Tsc.MicrosecondsSinceBoot;
    }
}

using Kernel.Proc;
using Kernel.Servers;
using Kernel.Testing;
using static Kernel.SelfTests.IpcPuppets;

namespace Kernel.SelfTests
{
    /// <summary>
    /// The console server (Kernel/Servers/ConsoleServer.cs) prints lines a process sends it in pieces: longer than one
    /// piece, longer than its line buffer, exactly one piece and one byte more, and empty.
    /// </summary>
    [SelfTestSuite("ipc")]
    public static unsafe class IpcConsoleServerTests
    {
        private const int PrintDone = 49;

        private const string LongLine = "ipc self-test: a line of well over forty-eight bytes, so the console server must put it together from several pieces";
        private const string WrappedLine = "ipc self-test: a line longer than the console server's line buffer, 0123456789 0123456789 0123456789 0123456789 "
            + "0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 end";
        private const string Exactly48 = "ipc self-test: exactly forty-eight bytes long...";
        private const string Exactly49 = "ipc self-test: exactly forty-nine bytes long.....";

        [SelfTest]
        public static void ConsoleServerPrintsLongLines()
        {
            Assert.Equal(48L, Exactly48.Length, "the 48-byte line's length");
            Assert.Equal(49L, Exactly49.Length, "the 49-byte line's length");
            int printer = ProcessKit.Spawn("printer", &Printer, 0);
            Message done = ProcessKit.Expect(printer, "the printer's report");
            Assert.Equal((long)PrintDone, done.Type, "the printer's report type");
            AssertStatus(IpcStatus.Ok, (IpcStatus)(int)done.P0, "Print of a line longer than one piece");
            AssertStatus(IpcStatus.Ok, (IpcStatus)(int)done.P1, "Print of a line longer than the server's line buffer");
            AssertStatus(IpcStatus.Ok, (IpcStatus)(int)done.P2, "Print of exactly one piece (48 bytes)");
            AssertStatus(IpcStatus.Ok, (IpcStatus)(int)done.P3, "Print of one piece and a byte (49 bytes)");
            AssertStatus(IpcStatus.Ok, (IpcStatus)(int)done.P4, "Print of an empty line");
            SelfTestRunner.Note(string.Concat("5 lines, the longest ", WrappedLine.Length.ToString(), " bytes"));
        }

        [Process("ipc-test")]
        private static void Printer(ulong unused)
        {
            var report = new Message { Type = PrintDone };
            report.P0 = (ulong)ConsoleServer.Print(LongLine);
            report.P1 = (ulong)ConsoleServer.Print(WrappedLine);
            report.P2 = (ulong)ConsoleServer.Print(Exactly48);
            report.P3 = (ulong)ConsoleServer.Print(Exactly49);
            report.P4 = (ulong)ConsoleServer.Print("");
            Ipc.Send(ProcessKit.KernelTask, &report);
        }
    }
}

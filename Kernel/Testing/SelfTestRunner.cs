using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Kernel.Arch;
using Kernel.Diagnostics;
using Kernel.Lib;
using Kernel.Memory;

namespace Kernel.Testing
{
    public enum TestOutcome { Pass, Fail, Skip }

    /// <summary>
    /// Runs the in-guest tests (kernel option `selftest[=prefix,prefix...]`, see TestFilter) and speaks the serial protocol the
    /// host boot tests parse, one line per test:
    ///   TEST suite.name PASS|FAIL|SKIP 12ms [message]
    ///   SELFTEST: N passed, N failed, N skipped
    /// then ends QEMU through isa-debug-exit (success or failure). A panic during a test prints
    /// `SELFTEST: PANIC reason` (Panic.cs). Each test runs under a recovery point, so a failed
    /// assertion abandons only that test; its suite's cleanup ([SelfTestCleanup]) runs after it whatever the outcome.
    /// </summary>
    public static unsafe class SelfTestRunner
    {
        private static SelfTestCase[] s_tests;
        private static RecoveryPoint s_recovery;
        private static TestOutcome s_outcome;
        private static TextBuffer s_message;

        [DoesNotReturn]
        public static void RunAndExit(string filter)
        {
            int failed = Run(filter);
            EmulatorExit.Exit(failed == 0 ? GuestExitCode.Success : GuestExitCode.TestsFailed);
        }

        /// <summary>Runs the matching tests and prints their lines and the summary; returns how many failed. QEMU keeps running.</summary>
        public static int Run(string filter)
        {
            Panic.SelfTestsRunning = true;   // Panic sits a layer below the tests: during a run it prints the verdict line and ends QEMU
            s_tests ??= SelfTestRegistry.Create();
            SelfTestCase[] tests = s_tests;
            int passed = 0, failed = 0, skipped = 0;
            for (int i = 0; i < tests.Length; i++)
            {
                if (!Matches(tests[i], filter)) continue;
                TestOutcome outcome = Run(tests[i], out ulong micros);
                if (outcome == TestOutcome.Pass) passed++;
                else if (outcome == TestOutcome.Fail) failed++;
                else skipped++;
                Report(tests[i], outcome, micros);
            }

            var summary = new TextBuffer();
            summary.Append("SELFTEST: ");
            summary.AppendDecimal(passed);
            summary.Append(" passed, ");
            summary.AppendDecimal(failed);
            summary.Append(" failed, ");
            summary.AppendDecimal(skipped);
            summary.Append(" skipped");
            Console.WriteLine(ref summary);
            Panic.SelfTestsRunning = false;
            return failed;
        }

        /// <summary>
        /// A test's positive numeric kernel option (torture.seconds=N, say), or <paramref name="byDefault"/> without it;
        /// any other value fails the test where it asked: "name must be a positive <paramref name="unit"/>".
        /// </summary>
        public static ulong PositiveOption(string name, ulong byDefault, string unit, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        {
            ulong value = byDefault;
            if (KernelMain.Options.TryGetValue(name, out string text) && !(Format.TryParseUnsigned(text, out value) && value > 0))
                Assert.Fail(TextBuffer.Of($"{name} must be a positive {unit}"), file, line);
            return value;
        }

        /// <summary>A line a passing test adds to its report (measurements, counts).</summary>
        public static void Note(string text)
        {
            s_message.Clear();
            s_message.Append(text);
        }

        /// <summary>Ends the running test with a failure or skip (Assert calls this).</summary>
        [DoesNotReturn]
        public static void AbortCurrent(TestOutcome outcome, ref TextBuffer message)
        {
            if (!Panic.SelfTestsRunning) Panic.Halt(ref message);
            s_outcome = outcome;
            s_message = message;
            fixed (RecoveryPoint* point = &s_recovery) CpuNative.ResumeAt(point, 1);
        }

        private static TestOutcome Run(SelfTestCase test, out ulong micros)
        {
            s_outcome = TestOutcome.Pass;
            s_message.Clear();
            ulong start = Tsc.Read();
            Call(test.Body);
            if (test.Cleanup != null) CleanUp(test.Cleanup);
            micros = Tsc.ToMicroseconds(Tsc.Read() - start);
            KernelTaskHeap.CollectIfUsed();   // each test is a request: what it allocated comes back before the next one
            return s_outcome;
        }

        // A failing cleanup fails a test that passed or was skipped; a test that failed keeps its own message.
        private static void CleanUp(delegate*<void> cleanup)
        {
            TestOutcome outcome = s_outcome;
            TextBuffer message = s_message;
            s_outcome = TestOutcome.Pass;
            Call(cleanup);
            if (s_outcome == TestOutcome.Fail && outcome != TestOutcome.Fail) return;
            s_outcome = outcome;
            s_message = message;
        }

        private static void Call(delegate*<void> body)
        {
            fixed (RecoveryPoint* point = &s_recovery)
                CpuNative.TryCall(&Invoke, body, point);
        }

        private static void Invoke(void* body) => ((delegate*<void>)body)();

        private static void Report(SelfTestCase test, TestOutcome outcome, ulong micros)
        {
            var line = new TextBuffer();
            line.Append("TEST ");
            line.Append(test.Suite);
            line.Append('.');
            line.Append(test.Name);
            line.Append(outcome == TestOutcome.Pass ? " PASS " : outcome == TestOutcome.Fail ? " FAIL " : " SKIP ");
            line.AppendDecimal(micros / 1000);
            line.Append("ms");
            if (s_message.Length > 0)
            {
                line.Append(' ');
                line.Append(ref s_message);
            }
            Console.WriteLine(ref line);
        }

        private static bool Matches(SelfTestCase test, string filter) => TestFilter.Matches(test.Suite, test.Name, filter);
    }
}

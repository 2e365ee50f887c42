using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Kernel.Lib;

namespace Kernel.Testing
{
    /// <summary>
    /// Assertions for in-guest tests. A failure records "file:line: message (expected X, actual Y)"
    /// and abandons the test at once (SelfTestRunner's recovery point); Skip does the same with a reason.
    /// </summary>
    public static class Assert
    {
        public static void True(bool condition, string what, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        {
            if (!condition) Fail(what, file, line);
        }

        public static void False(bool condition, string what, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        {
            if (condition) Fail(what, file, line);
        }

        public static void Equal(ulong expected, ulong actual, string what, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        {
            if (expected != actual) Mismatch(file, line, what, expected, actual, NumberStyle.Unsigned);
        }

        public static void Equal(long expected, long actual, string what, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        {
            if (expected != actual) Mismatch(file, line, what, (ulong)expected, (ulong)actual, NumberStyle.Signed);
        }

        public static void EqualHex(ulong expected, ulong actual, string what, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        {
            if (expected != actual) Mismatch(file, line, what, expected, actual, NumberStyle.Hex);
        }

        public static void Equal(string expected, string actual, string what, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        {
            if (expected == actual) return;
            var text = Location(file, line, what);
            text.Append(" (expected \"");
            text.Append(expected);
            text.Append("\", actual \"");
            text.Append(actual ?? "null");
            text.Append("\")");
            SelfTestRunner.AbortCurrent(TestOutcome.Fail, ref text);
        }

        public static void Contains(string haystack, string needle, string what, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        {
            if (haystack != null && haystack.Contains(needle)) return;
            var text = Location(file, line, what);
            text.Append(" (expected text containing \"");
            text.Append(needle);
            text.Append("\")");
            SelfTestRunner.AbortCurrent(TestOutcome.Fail, ref text);
        }

        [DoesNotReturn]
        public static void Fail(string what, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        {
            var text = Location(file, line, what);
            SelfTestRunner.AbortCurrent(TestOutcome.Fail, ref text);
        }

        [DoesNotReturn]
        public static void Skip(string reason)
        {
            var text = new TextBuffer();
            text.Append(reason);
            SelfTestRunner.AbortCurrent(TestOutcome.Skip, ref text);
        }

        private enum NumberStyle { Unsigned, Signed, Hex }

        [DoesNotReturn]
        private static void Mismatch(string file, int line, string what, ulong expected, ulong actual, NumberStyle style)
        {
            var text = Location(file, line, what);
            text.Append(" (expected ");
            AppendNumber(ref text, expected, style);
            text.Append(", actual ");
            AppendNumber(ref text, actual, style);
            text.Append(')');
            SelfTestRunner.AbortCurrent(TestOutcome.Fail, ref text);
        }

        private static void AppendNumber(ref TextBuffer text, ulong value, NumberStyle style)
        {
            if (style == NumberStyle.Signed) text.AppendDecimal((long)value);
            else if (style == NumberStyle.Unsigned) text.AppendDecimal(value);
            else
            {
                text.Append("0x");
                text.AppendHex(value);
            }
        }

        // The path from the repository root: CallerFilePath is absolute on the build machine.
        private static TextBuffer Location(string file, int line, string what)
        {
            var text = new TextBuffer();
            int start = 0;
            for (int i = 0; i + 1 < file.Length; i++)
                if (file[i] == '/' && (StartsAt(file, i + 1, "Kernel/") || StartsAt(file, i + 1, "Arch.x86/"))) start = i + 1;
            for (int i = start; i < file.Length; i++) text.Append(file[i]);
            text.Append(':');
            text.AppendDecimal(line);
            text.Append(": ");
            text.Append(what);
            return text;
        }

        private static bool StartsAt(string text, int index, string prefix)
        {
            if (index + prefix.Length > text.Length) return false;
            for (int i = 0; i < prefix.Length; i++)
                if (text[index + i] != prefix[i]) return false;
            return true;
        }
    }
}

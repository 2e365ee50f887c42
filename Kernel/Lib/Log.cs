using System.Runtime.CompilerServices;

namespace Kernel.Lib
{
    public enum LogLevel { Error, Warn, Info, Debug }

    /// <summary>
    /// The kernel log: `Log.Info("boot", $"{n} CPUs")` formats into a stack buffer (LogLine), so logging
    /// allocates nothing and works in any context, from every layer. Each line carries the time since boot and a
    /// level: `[    0.012345] info  boot: ...`. Where lines go and what the clock is are the kernel's: it attaches
    /// both at boot (Kernel/Diagnostics/LogSink.cs); before that, lines are dropped, as there is no console yet.
    /// </summary>
    public static unsafe class Log
    {
        public static LogLevel Threshold = LogLevel.Info;

        private static delegate*<ulong> s_microsecondsSinceBoot;
        private static delegate*<ref TextBuffer, void> s_emit;

        /// <summary>Sends every line from now on to <paramref name="emit"/>, stamped by <paramref name="microsecondsSinceBoot"/>.</summary>
        public static void Attach(delegate*<ulong> microsecondsSinceBoot, delegate*<ref TextBuffer, void> emit)
        {
            s_microsecondsSinceBoot = microsecondsSinceBoot;
            s_emit = emit;
        }

        public static void Error(string component, LogLine message) => Write(LogLevel.Error, component, ref message);
        public static void Warn(string component, LogLine message) => Write(LogLevel.Warn, component, ref message);
        public static void Info(string component, LogLine message) => Write(LogLevel.Info, component, ref message);
        public static void Debug(string component, LogLine message) => Write(LogLevel.Debug, component, ref message);

        public static void Error(string component, string message) => Write(LogLevel.Error, component, message);
        public static void Warn(string component, string message) => Write(LogLevel.Warn, component, message);
        public static void Info(string component, string message) => Write(LogLevel.Info, component, message);
        public static void Debug(string component, string message) => Write(LogLevel.Debug, component, message);

        public static void Write(LogLevel level, string component, ref LogLine message)
        {
            if (level > Threshold || s_emit == null) return;
            var line = new TextBuffer();
            AppendPrefix(ref line, level, component);
            message.AppendTo(ref line);
            Emit(ref line);
        }

        public static void Write(LogLevel level, string component, string message)
        {
            if (level > Threshold || s_emit == null) return;
            var line = new TextBuffer();
            AppendPrefix(ref line, level, component);
            line.Append(message);
            Emit(ref line);
        }

        private static void Emit(ref TextBuffer line) => s_emit(ref line);

        private static void AppendPrefix(ref TextBuffer line, LogLevel level, string component)
        {
            ulong micros = s_microsecondsSinceBoot();
            line.Append('[');
            line.AppendPadded(micros / 1_000_000, 5);
            line.Append('.');
            line.AppendPadded(micros % 1_000_000, 6, '0');
            line.Append("] ");
            line.Append(level == LogLevel.Error ? "error " : level == LogLevel.Warn ? "warn  " : level == LogLevel.Info ? "info  " : "debug ");
            line.Append(component);
            line.Append(": ");
        }
    }

    /// <summary>The interpolated-string handler behind Log: formats straight into a fixed buffer.</summary>
    [InterpolatedStringHandler]
    public unsafe ref struct LogLine
    {
        private TextBuffer _text;

        public LogLine(int literalLength, int formattedCount) => _text = new TextBuffer();

        public void AppendLiteral(string text) => _text.Append(text);
        public void AppendFormatted(string text) => _text.Append(text);
        public void AppendFormatted(char c) => _text.Append(c);
        public void AppendFormatted(bool value) => _text.AppendBool(value);
        public void AppendFormatted(int value) => _text.AppendDecimal(value);
        public void AppendFormatted(long value) => _text.AppendDecimal(value);
        public void AppendFormatted(uint value) => _text.AppendDecimal(value);
        public void AppendFormatted(ulong value) => _text.AppendDecimal(value);
        public void AppendFormatted(uint value, string format) => _text.AppendFormatted(value, format);
        public void AppendFormatted(ulong value, string format) => _text.AppendFormatted(value, format);
        public void AppendFormatted(int value, string format) => _text.AppendFormatted((ulong)(uint)value, format);

        // Text already formatted (a fault's summary): copied, where ToString would allocate.
        public void AppendFormatted(TextBuffer text) => _text.Append(ref text);

        internal void AppendTo(ref TextBuffer line) => line.Append(ref _text);
    }
}

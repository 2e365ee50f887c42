
namespace Kernel.Lib
{
    /// <summary>
    /// A fixed-capacity line of text built without allocating; what does not fit is dropped and
    /// marked with a trailing '~'. The log, exception reports and the self-test runner build their
    /// lines in one. Pure: compiled by the host tests too.
    /// </summary>
    public unsafe struct TextBuffer
    {
        public const int Capacity = 240;

        private fixed char _chars[Capacity];
        private int _length;
        private bool _truncated;

        public int Length => _length;
        public bool Truncated => _truncated;

        public char this[int index] => (uint)index < (uint)_length ? _chars[index] : '\0';

        public void Clear()
        {
            _length = 0;
            _truncated = false;
        }

        public void Append(char c)
        {
            if (_length < Capacity) _chars[_length++] = c;
            else MarkTruncated();
        }

        public void Append(string text)
        {
            if (text == null) return;
            for (int i = 0; i < text.Length; i++) Append(text[i]);
        }

        public void Append(char* text, int length)
        {
            for (int i = 0; i < length; i++) Append(text[i]);
        }

        /// <summary>Appends another buffer's text, with its truncation mark if it has one.</summary>
        public void Append(ref TextBuffer text)
        {
            char* chars = stackalloc char[Capacity + 1];
            Append(chars, text.CopyTo(chars, Capacity + 1));
        }

        public void AppendDecimal(long value)
        {
            char* digits = stackalloc char[Format.MaxDecimalChars];
            Append(digits, Format.Decimal(digits, value));
        }

        public void AppendDecimal(ulong value)
        {
            char* digits = stackalloc char[Format.MaxDecimalChars];
            Append(digits, Format.Decimal(digits, value));
        }

        /// <summary>Lower-case hex, zero-padded to <paramref name="minDigits"/>, without a prefix.</summary>
        public void AppendHex(ulong value, int minDigits = 1)
        {
            char* digits = stackalloc char[Format.MaxHexChars];
            Append(digits, Format.Hex(digits, value, minDigits));
        }

        /// <summary>Right-aligns a number in a field of <paramref name="width"/> characters.</summary>
        public void AppendPadded(ulong value, int width, char pad = ' ')
        {
            char* digits = stackalloc char[Format.MaxDecimalChars];
            int count = Format.Decimal(digits, value);
            for (int i = count; i < width; i++) Append(pad);
            Append(digits, count);
        }

        public void AppendBool(bool value) => Append(value ? "true" : "false");

        /// <summary>
        /// Interpolation format strings: "x" hex, "x8"/"x16" zero-padded hex, "d6" zero-padded decimal, "5" right-aligned
        /// in 5 columns (the handler has no alignment component, so a table's width goes in the format).
        /// </summary>
        public void AppendFormatted(ulong value, string format)
        {
            if (format == null || format.Length == 0) { AppendDecimal(value); return; }
            bool spaces = format[0] >= '0' && format[0] <= '9';
            int width = 0;
            for (int i = spaces ? 0 : 1; i < format.Length; i++) width = width * 10 + (format[i] - '0');
            if (format[0] == 'x' || format[0] == 'X') AppendHex(value, width == 0 ? 1 : width);
            else AppendPadded(value, width, spaces ? ' ' : '0');
        }

        /// <summary>Interpolated text through Log's handler, the one formatting path: <c>line.Append($"{cpu:3} {name}")</c>.</summary>
        public void Append(LogLine text) => text.AppendTo(ref this);

        /// <summary>Interpolated text as a string, for messages kept for later (parser warnings): <c>TextBuffer.Of($"...")</c>.</summary>
        public static string Of(LogLine text)
        {
            var buffer = new TextBuffer();
            buffer.Append(text);
            return buffer.ToString();
        }

        /// <summary>Spaces up to <paramref name="column"/>, where a table's next field starts.</summary>
        public void PadTo(int column)
        {
            while (_length < column && _length < Capacity) Append(' ');
        }

        public bool EndsWith(char c) => _length > 0 && _chars[_length - 1] == c;

        public bool Contains(string text)
        {
            for (int i = 0; i + text.Length <= _length; i++)
            {
                int j = 0;
                while (j < text.Length && _chars[i + j] == text[j]) j++;
                if (j == text.Length) return true;
            }
            return false;
        }

        /// <summary>Copies the characters (with the truncation mark) to <paramref name="destination"/>; returns the count.</summary>
        public int CopyTo(char* destination, int capacity)
        {
            int count = 0;
            for (; count < _length && count < capacity; count++) destination[count] = _chars[count];
            if (_truncated && count < capacity) destination[count++] = '~';
            return count;
        }

        public override string ToString()
        {
            char* copy = stackalloc char[Capacity + 1];
            int count = CopyTo(copy, Capacity + 1);
            return new string(copy, 0, count);
        }

        private void MarkTruncated() => _truncated = true;
    }
}

namespace Kernel.Lib
{
    /// <summary>
    /// A growable text builder on the heap, for output longer than a TextBuffer line (benchmark JSON,
    /// tables). It allocates, so it is for reports, never for interrupt paths. Pure: host-testable.
    /// </summary>
    public sealed unsafe class TextBuilder
    {
        private char[] _chars = new char[256];
        private int _length;

        public int Length => _length;

        public TextBuilder Append(char c)
        {
            if (_length == _chars.Length)
            {
                var larger = new char[_chars.Length * 2];
                for (int i = 0; i < _length; i++) larger[i] = _chars[i];
                _chars = larger;
            }
            _chars[_length++] = c;
            return this;
        }

        public TextBuilder Append(string text)
        {
            if (text != null)
                for (int i = 0; i < text.Length; i++) Append(text[i]);
            return this;
        }

        public TextBuilder Append(ulong value)
        {
            char* digits = stackalloc char[Format.MaxDecimalChars];
            int count = Format.Decimal(digits, value);
            for (int i = 0; i < count; i++) Append(digits[i]);
            return this;
        }

        /// <summary>Appends <paramref name="text"/> padded with spaces to <paramref name="width"/> (left-aligned).</summary>
        public TextBuilder AppendPadded(string text, int width)
        {
            Append(text);
            for (int i = text.Length; i < width; i++) Append(' ');
            return this;
        }

        public override string ToString()
        {
            fixed (char* chars = _chars) return new string(chars, 0, _length);
        }
    }
}

using Kernel.Proc;

namespace Kernel.Shell
{
    /// <summary>
    /// A command line split at spaces into words — the command and its arguments — read in place, so running a
    /// command allocates nothing. Pure: the host tests use it.
    /// </summary>
    [Process("shell")]
    public sealed class CommandWords
    {
        public const int MaxWords = 8;

        private readonly char[] _text = new char[LineEditor.MaxLine];
        private readonly int[] _starts = new int[MaxWords];
        private readonly int[] _lengths = new int[MaxWords];

        /// <summary>Words found; words beyond <see cref="MaxWords"/> make <see cref="TooMany"/> true.</summary>
        public int Count { get; private set; }
        public bool TooMany { get; private set; }

        public void Split(LineEditor line)
        {
            Count = 0;
            TooMany = false;
            int length = line.Length;
            for (int i = 0; i < length; i++) _text[i] = line[i];
            for (int at = 0; at < length;)
            {
                while (at < length && _text[at] == ' ') at++;
                if (at == length) break;
                int start = at;
                while (at < length && _text[at] != ' ') at++;
                if (Count == MaxWords) { TooMany = true; break; }
                _starts[Count] = start;
                _lengths[Count] = at - start;
                Count++;
            }
        }

        public int Length(int word) => word < Count ? _lengths[word] : 0;

        public char At(int word, int index) => _text[_starts[word] + index];

        public bool Is(int word, string text)
        {
            if (word >= Count || _lengths[word] != text.Length) return false;
            for (int i = 0; i < text.Length; i++)
                if (_text[_starts[word] + i] != text[i]) return false;
            return true;
        }

        /// <summary>True if <paramref name="word"/> starts <paramref name="text"/> (a filter matching a name).</summary>
        public bool IsPrefixOf(int word, string text)
        {
            if (word >= Count || _lengths[word] > text.Length) return false;
            for (int i = 0; i < _lengths[word]; i++)
                if (_text[_starts[word] + i] != text[i]) return false;
            return true;
        }

        /// <summary>A non-negative decimal number below 2^31; false for anything else.</summary>
        public bool TryParse(int word, out int value)
        {
            value = 0;
            if (word >= Count || _lengths[word] > 9) return false;
            for (int i = 0; i < _lengths[word]; i++)
            {
                char c = _text[_starts[word] + i];
                if (c < '0' || c > '9') return false;
                value = value * 10 + (c - '0');
            }
            return true;
        }
    }
}

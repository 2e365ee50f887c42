using Kernel.Proc;

namespace Kernel.Shell
{
    public enum EditResult { Editing, Line, Cancelled }

    /// <summary>
    /// The shell's line discipline: turns the bytes a terminal sends (printable ASCII, control keys, VT100 cursor-key
    /// sequences) into an edited line, and produces the echo that keeps the terminal's picture in step — as text plus
    /// the few VT100 sequences every terminal and the kernel's screen console understand (ESC[nC, ESC[nD, ESC[K).
    /// History: the last <see cref="HistoryDepth"/> lines, browsed with the up and down arrows. Allocates only when
    /// constructed. Pure: the host tests drive it byte by byte.
    /// </summary>
    [Process("shell")]
    public sealed class LineEditor
    {
        public const int MaxLine = 160;
        public const int HistoryDepth = 16;
        private const int OutputCapacity = 4 * MaxLine;
        private const char Escape = '\u001b';

        private enum InputState { Text, Escape, Csi, Ss3 }

        private readonly char[] _line = new char[MaxLine];
        private readonly char[] _stash = new char[MaxLine];   // the line being typed while the history is browsed
        private readonly char[] _history = new char[HistoryDepth * MaxLine];
        private readonly int[] _historyLengths = new int[HistoryDepth];
        private readonly char[] _output = new char[OutputCapacity];
        private int _length, _cursor, _stashLength;
        private int _historyCount;     // lines ever added; the newest is _historyCount - 1
        private int _browsing;         // how far back the line shown is: 0 = the line being typed
        private int _outputLength;
        private InputState _state;
        private int _parameter;
        private bool _lastWasCarriageReturn;

        public int Length => _length;
        public int Cursor => _cursor;
        public char this[int index] => _line[index];

        /// <summary>Echo produced so far: send it to the terminal, then call <see cref="ClearOutput"/>.</summary>
        public int OutputLength => _outputLength;
        public char OutputAt(int index) => _output[index];
        public void ClearOutput() => _outputLength = 0;

        /// <summary>Starts an empty line (after a Line or Cancelled result has been handled).</summary>
        public void Begin()
        {
            _length = _cursor = 0;
            _browsing = 0;
        }

        public bool LineEquals(string text)
        {
            if (text.Length != _length) return false;
            for (int i = 0; i < _length; i++)
                if (_line[i] != text[i]) return false;
            return true;
        }

        public EditResult Feed(byte input)
        {
            char c = (char)input;
            bool afterCarriageReturn = _lastWasCarriageReturn;
            _lastWasCarriageReturn = c == '\r';
            switch (_state)
            {
                case InputState.Escape:
                    _state = c == '[' ? InputState.Csi : c == 'O' ? InputState.Ss3 : InputState.Text;
                    _parameter = 0;
                    return EditResult.Editing;
                case InputState.Csi:
                    if (c >= '0' && c <= '9')
                    {
                        if (_parameter < 1000) _parameter = _parameter * 10 + (c - '0');
                        return EditResult.Editing;
                    }
                    _state = c >= 0x20 && c < 0x40 ? InputState.Csi : InputState.Text;   // parameter and intermediate bytes go on
                    if (_state == InputState.Text) CursorKey(c, _parameter);
                    return EditResult.Editing;
                case InputState.Ss3:
                    _state = InputState.Text;
                    CursorKey(c, 0);
                    return EditResult.Editing;
            }

            if (c == '\n' && afterCarriageReturn) return EditResult.Editing;   // CR LF is one Enter
            if (c == '\r' || c == '\n') return Enter();
            if (c == Escape) { _state = InputState.Escape; return EditResult.Editing; }
            if (c == '\u0003') { Emit("^C\n"); Begin(); return EditResult.Cancelled; }   // Ctrl-C
            if (c == '\u007f' || c == '\b') { if (_cursor > 0) { MoveLeft(1); DeleteAtCursor(); } return EditResult.Editing; }
            if (c == '\u0001') { MoveLeft(_cursor); return EditResult.Editing; }            // Ctrl-A: home
            if (c == '\u0005') { MoveRight(_length - _cursor); return EditResult.Editing; }  // Ctrl-E: end
            if (c == '\u0015') { ReplaceLine(null, 0, 0); return EditResult.Editing; }      // Ctrl-U: erase the line
            if (c >= ' ' && c < '\u007f') Insert(c);
            return EditResult.Editing;                                                      // other control bytes: ignored
        }

        // The final byte of ESC [ n X or ESC O X (VT100 / xterm cursor keys).
        private void CursorKey(char final, int parameter)
        {
            if (final == 'A') Browse(+1);
            else if (final == 'B') Browse(-1);
            else if (final == 'C') MoveRight(1);
            else if (final == 'D') MoveLeft(1);
            else if (final == 'H' || (final == '~' && (parameter == 1 || parameter == 7))) MoveLeft(_cursor);
            else if (final == 'F' || (final == '~' && (parameter == 4 || parameter == 8))) MoveRight(_length - _cursor);
            else if (final == '~' && parameter == 3) DeleteAtCursor();
        }

        private EditResult Enter()
        {
            Emit('\n');   // the console turns it into CR LF
            if (_length > 0 && !SameAsNewestHistory())
            {
                int slot = _historyCount % HistoryDepth;
                for (int i = 0; i < _length; i++) _history[slot * MaxLine + i] = _line[i];
                _historyLengths[slot] = _length;
                _historyCount++;
            }
            _browsing = 0;
            return EditResult.Line;
        }

        private bool SameAsNewestHistory()
        {
            if (_historyCount == 0) return false;
            int slot = (_historyCount - 1) % HistoryDepth;
            if (_historyLengths[slot] != _length) return false;
            for (int i = 0; i < _length; i++)
                if (_history[slot * MaxLine + i] != _line[i]) return false;
            return true;
        }

        // direction +1: one line older; -1: one line newer (back to the stashed line at the end).
        private void Browse(int direction)
        {
            int held = _historyCount < HistoryDepth ? _historyCount : HistoryDepth;
            int target = _browsing + direction;
            if (target < 0 || target > held) return;
            if (_browsing == 0)
            {
                for (int i = 0; i < _length; i++) _stash[i] = _line[i];
                _stashLength = _length;
            }
            _browsing = target;
            if (target == 0) ReplaceLine(_stash, 0, _stashLength);
            else
            {
                int slot = (_historyCount - target) % HistoryDepth;
                ReplaceLine(_history, slot * MaxLine, _historyLengths[slot]);
            }
        }

        private void Insert(char c)
        {
            if (_length == MaxLine) return;
            for (int i = _length; i > _cursor; i--) _line[i] = _line[i - 1];
            _line[_cursor] = c;
            _length++;
            EmitRange(_cursor, _length);
            _cursor++;
            EmitCursorLeft(_length - _cursor);
        }

        private void DeleteAtCursor()
        {
            if (_cursor == _length) return;
            for (int i = _cursor; i < _length - 1; i++) _line[i] = _line[i + 1];
            _length--;
            EmitRange(_cursor, _length);
            Emit(' ');
            EmitCursorLeft(_length - _cursor + 1);
        }

        private void ReplaceLine(char[] source, int offset, int count)
        {
            MoveLeft(_cursor);
            for (int i = 0; i < count; i++) _line[i] = source[offset + i];
            _length = count;
            EmitRange(0, _length);
            Emit("\u001b[K");
            _cursor = _length;
        }

        private void MoveLeft(int count)
        {
            if (count > _cursor) count = _cursor;
            _cursor -= count;
            EmitCursorLeft(count);
        }

        private void MoveRight(int count)
        {
            if (count > _length - _cursor) count = _length - _cursor;
            if (count <= 0) return;
            _cursor += count;
            EmitCsi(count, 'C');
        }

        private void EmitCursorLeft(int count)
        {
            if (count > 0) EmitCsi(count, 'D');
        }

        private void EmitCsi(int count, char final)
        {
            Emit(Escape);
            Emit('[');
            if (count >= 100) Emit((char)('0' + count / 100));
            if (count >= 10) Emit((char)('0' + count / 10 % 10));
            Emit((char)('0' + count % 10));
            Emit(final);
        }

        private void EmitRange(int from, int to)
        {
            for (int i = from; i < to; i++) Emit(_line[i]);
        }

        private void Emit(string text)
        {
            for (int i = 0; i < text.Length; i++) Emit(text[i]);
        }

        private void Emit(char c)
        {
            if (_outputLength < OutputCapacity) _output[_outputLength++] = c;
        }
    }
}

namespace Kernel.Diagnostics
{
    /// <summary>
    /// The screen console's character grid and the small terminal subset a line editor emits: printable ASCII,
    /// \r, \n (as CR LF: the console sends bare line ends), \b (cursor left one), \t (next multiple of 8),
    /// and the ECMA-48 control sequences ESC [ n C / D (cursor right / left, n defaults to 1), ESC [ n K (erase in line:
    /// 0 to the end, 1 to the cursor, 2 all), ESC [ n J (erase in display, likewise), ESC [ r ; c H (position, default home).
    /// Any other escape or control sequence is consumed and ignored, never printed (ECMA-48 §5.4: parameter and
    /// intermediate bytes 0x20–0x3F, a final byte 0x40–0x7E). Writing the last column leaves the wrap pending until the
    /// next printable character, as a VT100 does, so a line exactly as wide as the screen is not followed by a blank one.
    /// Rows whose cells changed are marked dirty for the renderer; nothing here allocates after construction.
    /// Pure: compiled by the host tests too.
    /// </summary>
    public sealed unsafe class TextGrid
    {
        private const char Escape = '\u001b';
        private const int MaxParameter = 9999;
        private const int TabWidth = 8;
        private enum State { Ground, Escape, ControlSequence }

        private readonly char[] _cells;
        private readonly bool[] _dirty;
        private State _state;
        private int _parameterCount;
        private int _parameter0, _parameter1;
        private bool _wrapPending;

        public TextGrid(int columns, int rows)
        {
            Columns = columns;
            Rows = rows;
            _cells = new char[columns * rows];
            _dirty = new bool[rows];
            Erase(0, columns * rows);
        }

        public int Columns { get; }
        public int Rows { get; }
        public int CursorColumn { get; private set; }
        public int CursorRow { get; private set; }

        /// <summary>How many times the contents moved up a line.</summary>
        public ulong Scrolls { get; private set; }

        public char At(int column, int row) => _cells[row * Columns + column];

        public bool IsDirty(int row) => _dirty[row];

        public void ClearDirty(int row) => _dirty[row] = false;

        /// <summary>Row <paramref name="row"/> as text, trailing blanks kept (tests and self-tests read it).</summary>
        public string RowText(int row)
        {
            fixed (char* cells = _cells) return new string(cells, row * Columns, Columns);
        }

        public void Put(char c)
        {
            switch (_state)
            {
                case State.Ground: Ground(c); break;
                case State.Escape: AfterEscape(c); break;
                default: InControlSequence(c); break;
            }
        }

        private void Ground(char c)
        {
            if (c == Escape) { _state = State.Escape; return; }
            switch (c)
            {
                case '\r': MoveTo(0, CursorRow); return;
                case '\n': MoveTo(0, CursorRow); LineFeed(); return;
                case '\b': MoveTo(CursorColumn - 1, CursorRow); return;
                case '\t': MoveTo((CursorColumn / TabWidth + 1) * TabWidth, CursorRow); return;
            }
            if (c < ' ' || c == '\u007f') return;   // other C0 controls and DEL: nothing to show
            if (_wrapPending)
            {
                MoveTo(0, CursorRow);
                LineFeed();
            }
            _cells[CursorRow * Columns + CursorColumn] = c > '~' ? '?' : c;
            _dirty[CursorRow] = true;
            if (CursorColumn == Columns - 1) _wrapPending = true;
            else CursorColumn++;
        }

        private void AfterEscape(char c)
        {
            if (c == '[')
            {
                _state = State.ControlSequence;
                _parameterCount = 0;
                _parameter0 = _parameter1 = 0;
            }
            else if (c < ' ' || c > '/') _state = State.Ground;   // a final byte ends an escape sequence; intermediates continue it
        }

        private void InControlSequence(char c)
        {
            if (c >= '0' && c <= '9')
            {
                if (_parameterCount == 0) _parameterCount = 1;
                if (_parameterCount == 1) _parameter0 = Accumulate(_parameter0, c);
                else if (_parameterCount == 2) _parameter1 = Accumulate(_parameter1, c);
                return;
            }
            if (c == ';') { _parameterCount = _parameterCount == 0 ? 2 : _parameterCount + 1; return; }
            if (c >= ' ' && c <= '?') return;                       // other parameter and intermediate bytes
            _state = c == Escape ? State.Escape : State.Ground;     // a final byte, or a control that cancels
            if (c >= '@' && c <= '~') Execute(c);
        }

        private static int Accumulate(int value, char digit)
        {
            int next = value * 10 + (digit - '0');
            return next > MaxParameter ? MaxParameter : next;
        }

        private void Execute(char final)
        {
            int count = _parameter0 == 0 ? 1 : _parameter0;
            switch (final)
            {
                case 'A': MoveTo(CursorColumn, CursorRow - count); break;
                case 'B': MoveTo(CursorColumn, CursorRow + count); break;
                case 'C': MoveTo(CursorColumn + count, CursorRow); break;
                case 'D': MoveTo(CursorColumn - count, CursorRow); break;
                case 'H':
                case 'f': MoveTo((_parameter1 == 0 ? 1 : _parameter1) - 1, count - 1); break;
                case 'K': EraseInLine(_parameter0); break;
                case 'J': EraseInDisplay(_parameter0); break;
            }
        }

        private void EraseInLine(int mode)
        {
            int rowStart = CursorRow * Columns, cursor = rowStart + CursorColumn;
            if (mode == 0) Erase(cursor, rowStart + Columns);
            else if (mode == 1) Erase(rowStart, cursor + 1);
            else if (mode == 2) Erase(rowStart, rowStart + Columns);
        }

        private void EraseInDisplay(int mode)
        {
            int cursor = CursorRow * Columns + CursorColumn;
            if (mode == 0) Erase(cursor, _cells.Length);
            else if (mode == 1) Erase(0, cursor + 1);
            else if (mode == 2 || mode == 3) Erase(0, _cells.Length);
        }

        private void Erase(int from, int to)
        {
            for (int i = from; i < to; i++) _cells[i] = ' ';
            for (int row = from / Columns; row <= (to - 1) / Columns && row < Rows; row++) _dirty[row] = true;
        }

        // Every cursor movement but printing clamps to the grid and cancels a pending wrap.
        private void MoveTo(int column, int row)
        {
            CursorColumn = column < 0 ? 0 : column >= Columns ? Columns - 1 : column;
            CursorRow = row < 0 ? 0 : row >= Rows ? Rows - 1 : row;
            _wrapPending = false;
        }

        private void LineFeed()
        {
            if (CursorRow < Rows - 1)
            {
                CursorRow++;
                return;
            }
            for (int i = 0; i < _cells.Length - Columns; i++) _cells[i] = _cells[i + Columns];
            Erase(_cells.Length - Columns, _cells.Length);
            for (int row = 0; row < Rows; row++) _dirty[row] = true;
            Scrolls++;
        }
    }
}

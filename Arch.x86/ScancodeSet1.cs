namespace Kernel.Arch
{
    /// <summary>
    /// PC keyboard scan code set 1 — what the 8042 delivers with translation on (command byte bit 6), whatever set 2
    /// the keyboard itself sends (IBM PS/2 Hardware Interface Technical Reference, "Keyboard/Auxiliary Device
    /// Controller"; codes from Microsoft's "Keyboard Scan Code Specification" rev. 1.3a, Appendix C; OSDev
    /// "PS/2 Keyboard") — into the bytes a VT100-style terminal sends for a US layout: ASCII, Enter '\r',
    /// Backspace 0x7F, Ctrl+letter 0x01–0x1A, Alt+key ESC then the key, and ESC [ A/B/C/D (arrows), ESC [ H / F
    /// (Home / End), ESC [ 2~ 3~ 5~ 6~ (Insert, Delete, Page Up, Page Down). A key press is its make code, its
    /// release the same code | 0x80; E0 prefixes the extended keys, E1 1D 45 E1 9D C5 is Pause (ignored, as are
    /// function keys and the Windows keys). Pure: compiled by the host tests too.
    /// </summary>
    public sealed unsafe class ScancodeSet1
    {
        /// <summary>The most bytes one scan code can produce.</summary>
        public const int MaxBytes = 5;

        private const byte Extended = 0xE0, Pause = 0xE1, Release = 0x80;
        private const byte LeftShift = 0x2A, RightShift = 0x36, Control = 0x1D, Alt = 0x38, CapsLockKey = 0x3A, NumLockKey = 0x45;
        private const byte KeypadFirst = 0x47, KeypadLast = 0x53;
        private const byte Escape = 0x1B;

        // Indexed by make code 0x00–0x39; '\0' where a key sends nothing by itself.
        private const string Plain = "\0\u001b1234567890-=\u007f\tqwertyuiop[]\r\0asdfghjkl;'`\0\\zxcvbnm,./\0*\0 ";
        private const string Shifted = "\0\u001b!@#$%^&*()_+\u007f\tQWERTYUIOP{}\r\0ASDFGHJKL:\"~\0|ZXCVBNM<>?\0*\0 ";
        private const string KeypadDigits = "789-456+1230.";   // 0x47–0x53 with Num Lock on

        private bool _leftShift, _rightShift, _leftControl, _rightControl, _leftAlt, _rightAlt;
        private bool _extended;
        private int _pauseBytesLeft;

        public bool CapsLock { get; private set; }

        /// <summary>PC firmware usually boots with Num Lock on; the keyboard's LEDs are not changed.</summary>
        public bool NumLock { get; private set; } = true;

        public bool ShiftDown => _leftShift || _rightShift;
        public bool ControlDown => _leftControl || _rightControl;
        public bool AltDown => _leftAlt || _rightAlt;

        /// <summary>Feeds one byte from the controller; writes what the terminal would send to <paramref name="output"/> (room for <see cref="MaxBytes"/>) and returns how many.</summary>
        public int Translate(byte scancode, byte* output)
        {
            if (_pauseBytesLeft > 0) { _pauseBytesLeft--; return 0; }
            if (scancode == Pause) { _pauseBytesLeft = 5; return 0; }
            if (scancode == Extended) { _extended = true; return 0; }
            bool extended = _extended;
            _extended = false;
            bool released = (scancode & Release) != 0;
            byte code = (byte)(scancode & ~Release);

            if (TrackModifier(code, extended, !released) || released) return 0;
            if (code == CapsLockKey && !extended) { CapsLock = !CapsLock; return 0; }
            if (code == NumLockKey && !extended) { NumLock = !NumLock; return 0; }
            if (extended) return ExtendedKey(code, output);
            if (code >= KeypadFirst && code <= KeypadLast)
            {
                byte key = (byte)KeypadDigits[code - KeypadFirst];
                return NumLock || key == '-' || key == '+' ? Character(key, output) : Navigation(code, output);
            }
            if (code >= Plain.Length || Plain[code] == '\0') return 0;
            return Character(Letter(code), output);
        }

        // Shift, Ctrl and Alt: true if the code is one of them (E0 2A / E0 36 are fake shifts around some extended keys).
        private bool TrackModifier(byte code, bool extended, bool down)
        {
            switch (code)
            {
                case LeftShift: if (!extended) _leftShift = down; return true;
                case RightShift: if (!extended) _rightShift = down; return true;
                case Control: if (extended) _rightControl = down; else _leftControl = down; return true;
                case Alt: if (extended) _rightAlt = down; else _leftAlt = down; return true;
                default: return false;
            }
        }

        private byte Letter(byte code)
        {
            char plain = Plain[code];
            bool letter = plain >= 'a' && plain <= 'z';
            bool upper = letter ? ShiftDown != CapsLock : ShiftDown;
            return (byte)(upper ? Shifted[code] : plain);
        }

        // Ctrl turns @, A–Z, [, \, ], ^, _ (and their lower-case forms) into 0x00–0x1F, and Space into NUL; Alt sends ESC first.
        private int Character(byte c, byte* output)
        {
            if (ControlDown)
            {
                byte upper = c >= 'a' && c <= 'z' ? (byte)(c - 32) : c;
                if (upper >= '@' && upper <= '_') c = (byte)(upper & 0x1F);
                else if (c == ' ') c = 0;
            }
            int count = 0;
            if (AltDown) output[count++] = Escape;
            output[count++] = c;
            return count;
        }

        private static int ExtendedKey(byte code, byte* output)
        {
            switch (code)
            {
                case 0x1C: output[0] = (byte)'\r'; return 1;   // keypad Enter
                case 0x35: output[0] = (byte)'/'; return 1;    // keypad /
                default: return Navigation(code, output);
            }
        }

        // The cursor block and the keypad without Num Lock.
        private static int Navigation(byte code, byte* output)
        {
            switch (code)
            {
                case 0x48: return Sequence(output, (byte)'A');
                case 0x50: return Sequence(output, (byte)'B');
                case 0x4D: return Sequence(output, (byte)'C');
                case 0x4B: return Sequence(output, (byte)'D');
                case 0x47: return Sequence(output, (byte)'H');
                case 0x4F: return Sequence(output, (byte)'F');
                case 0x52: return Sequence(output, (byte)'2', (byte)'~');
                case 0x53: return Sequence(output, (byte)'3', (byte)'~');
                case 0x49: return Sequence(output, (byte)'5', (byte)'~');
                case 0x51: return Sequence(output, (byte)'6', (byte)'~');
                default: return 0;
            }
        }

        private static int Sequence(byte* output, byte final, byte tilde = 0)
        {
            output[0] = Escape;
            output[1] = (byte)'[';
            output[2] = final;
            if (tilde == 0) return 3;
            output[3] = tilde;
            return 4;
        }
    }
}

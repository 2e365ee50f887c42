namespace Kernel.Lib
{
    /// <summary>
    /// Integer formatting into caller-provided character buffers: no allocation, so logging and
    /// exception reports can use it anywhere. Pure: compiled by the host tests too.
    /// </summary>
    public static unsafe class Format
    {
        public const int MaxDecimalChars = 20;   // "-9223372036854775808" and 18446744073709551615 both fit
        public const int MaxHexChars = 16;

        /// <summary>Writes <paramref name="value"/> in decimal; returns the number of characters written.</summary>
        public static int Decimal(char* destination, ulong value)
        {
            char* scratch = stackalloc char[MaxDecimalChars];
            int count = 0;
            do
            {
                scratch[count++] = (char)('0' + (int)(value % 10));
                value /= 10;
            } while (value != 0);
            for (int i = 0; i < count; i++) destination[i] = scratch[count - 1 - i];
            return count;
        }

        public static int Decimal(char* destination, long value)
        {
            if (value >= 0) return Decimal(destination, (ulong)value);
            *destination = '-';
            return 1 + Decimal(destination + 1, (ulong)(-(value + 1)) + 1);
        }

        /// <summary>Writes lower-case hex with at least <paramref name="minDigits"/> digits (zero-padded).</summary>
        public static int Hex(char* destination, ulong value, int minDigits)
        {
            int digits = 1;
            for (ulong v = value >> 4; v != 0; v >>= 4) digits++;
            if (minDigits > MaxHexChars) minDigits = MaxHexChars;
            if (digits < minDigits) digits = minDigits;
            for (int i = digits - 1; i >= 0; i--, value >>= 4)
                destination[i] = "0123456789abcdef"[(int)(value & 0xF)];
            return digits;
        }

        /// <summary>
        /// Parses an unsigned decimal or 0x-prefixed hex number. False for empty input, other
        /// characters or overflow: callers report bad values rather than guess.
        /// </summary>
        public static bool TryParseUnsigned(string text, out ulong value)
        {
            value = 0;
            if (text == null || text.Length == 0) return false;
            bool hex = text.Length > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
            int start = hex ? 2 : 0;
            ulong radix = hex ? 16u : 10u;
            for (int i = start; i < text.Length; i++)
            {
                int digit = DigitValue(text[i]);
                if (digit < 0 || (ulong)digit >= radix) return false;
                if (value > (ulong.MaxValue - (ulong)digit) / radix) return false;
                value = value * radix + (ulong)digit;
            }
            return true;
        }

        private static int DigitValue(char c)
        {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        }
    }
}

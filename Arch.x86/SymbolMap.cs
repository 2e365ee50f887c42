using Kernel.Lib;

namespace Kernel.Arch
{
    /// <summary>
    /// Names for code and type addresses in panic reports. tools/KernelImage writes the linked
    /// kernel's symbol table as text lines "<16 hex digits> <name>" sorted by address; GRUB loads it
    /// as the multiboot2 module named "symbols". The text stays where GRUB put it (PhysicalMemory
    /// reserves it); only an index of line starts is built.
    /// </summary>
    public static unsafe class SymbolMap
    {
        private const int AddressDigits = 16;

        private static byte* s_text;
        private static ulong[] s_addresses;
        private static uint[] s_nameOffsets;

        public static int Count => s_addresses == null ? 0 : s_addresses.Length;

        public static void Load(BootInfo boot)
        {
            for (int i = 0; i < boot.Modules.Length; i++)
                if (boot.Modules[i].Name == "symbols")
                {
                    Index((byte*)boot.Modules[i].Start, boot.Modules[i].End - boot.Modules[i].Start);
                    Log.Info("symbols", $"{Count} symbols loaded for panic reports");
                    return;
                }
            Log.Warn("symbols", "no symbol map module: panic reports will show addresses only");
        }

        /// <summary>Appends "Name+0xoffset" for the symbol at or below <paramref name="address"/>.</summary>
        public static void AppendSymbol(ref TextBuffer text, ulong address)
        {
            int index = Find(address);
            if (index < 0)
            {
                text.Append(s_addresses == null ? "(no symbol map)" : "(no symbol)");
                return;
            }
            AppendName(ref text, index);
            if (address != s_addresses[index])
            {
                text.Append("+0x");
                text.AppendHex(address - s_addresses[index]);
            }
        }

        /// <summary>The type's name through its MethodTable's symbol (ilc names it after the type).</summary>
        public static void AppendTypeName(ref TextBuffer text, object value)
        {
            ulong type = (ulong)value.MethodTable;
            int index = Find(type);
            if (index >= 0 && s_addresses[index] == type) AppendName(ref text, index);
            else
            {
                text.Append("exception of type 0x");
                text.AppendHex(type);
            }
        }

        private static void Index(byte* text, ulong length)
        {
            int lines = 0;
            for (ulong i = 0; i < length; i++) if (text[i] == '\n') lines++;
            var addresses = new ulong[lines];
            var offsets = new uint[lines];
            int count = 0;
            ulong position = 0;
            while (position + AddressDigits + 2 <= length && count < lines)
            {
                ulong address = 0;
                bool valid = true;
                for (int d = 0; d < AddressDigits; d++)
                {
                    int digit = HexDigit(text[position + (ulong)d]);
                    if (digit < 0) valid = false;
                    address = (address << 4) | (uint)(digit & 0xF);
                }
                if (valid && text[position + AddressDigits] == ' ' && (count == 0 || address >= addresses[count - 1]))
                {
                    addresses[count] = address;
                    offsets[count] = (uint)(position + AddressDigits + 1);
                    count++;
                }
                while (position < length && text[position] != '\n') position++;
                position++;
            }
            s_text = text;
            s_addresses = Arrays.Prefix(addresses, count);
            s_nameOffsets = offsets;
        }

        private static int Find(ulong address)
        {
            if (s_addresses == null || s_addresses.Length == 0 || address < s_addresses[0]) return -1;
            int low = 0, high = s_addresses.Length - 1;
            while (low < high)
            {
                int middle = (low + high + 1) / 2;
                if (s_addresses[middle] <= address) low = middle;
                else high = middle - 1;
            }
            return low;
        }

        private static void AppendName(ref TextBuffer text, int index)
        {
            for (byte* c = s_text + s_nameOffsets[index]; *c != '\n' && *c != 0; c++) text.Append((char)*c);
        }

        private static int HexDigit(byte c)
        {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            return -1;
        }
    }
}

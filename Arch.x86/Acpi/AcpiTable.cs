using Kernel.Lib;

namespace Kernel.Arch.Acpi
{
    /// <summary>What a table's header says about the table as a whole. Only Valid and BadChecksum leave a parsable table.</summary>
    public enum AcpiTableStatus
    {
        Valid,
        BadChecksum,      // the bytes do not sum to 0; the content may still be what the firmware meant
        WrongSignature,   // not the table the caller asked for
        TooShort,         // Length is below the header, or below what this table type defines
        Truncated,        // the header, or Length bytes, do not fit in what the caller could supply
    }

    /// <summary>The System Description Table header every ACPI table except the RSDP and FACS starts with (ACPI 6.5 §5.2.6, Table 5.4).</summary>
    public struct AcpiTableHeader
    {
        public const uint Size = 36;

        public uint Signature;         // the four ASCII bytes as a little-endian word: "APIC" is 0x43495041
        public uint Length;            // the whole table, header included
        public byte Revision;
        public byte Checksum;
        public ulong OemIdRaw;         // 6 ASCII bytes
        public ulong OemTableIdRaw;    // 8 ASCII bytes
        public uint OemRevision;
        public uint CreatorId;
        public uint CreatorRevision;

        public string SignatureText => AcpiTable.Text(Signature, 4);
        public string OemId => AcpiTable.Text(OemIdRaw, 6);
        public string OemTableId => AcpiTable.Text(OemTableIdRaw, 8);
    }

    /// <summary>
    /// Reading and checking ACPI table headers over a byte range. Nothing here trusts the table: every read
    /// is bounds-checked against what the caller says is available, and problems come back as status and
    /// text, never as a fault. Pure: compiled by the host tests and tools/AcpiTool too.
    /// </summary>
    public static unsafe class AcpiTable
    {
        /// <summary>
        /// Checks that the header fits in <paramref name="available"/> bytes, that Length covers at least the
        /// header and fits too, and that all Length bytes sum to 0 mod 256 (§5.2.6: "the entire table,
        /// including the checksum field, must add to zero"). <paramref name="header"/> is filled whenever the
        /// 36 header bytes are readable; <paramref name="error"/> is null exactly when the result is Valid.
        /// </summary>
        public static AcpiTableStatus Validate(byte* table, ulong available, out AcpiTableHeader header, out string error)
        {
            header = default;
            error = null;
            if (table == null || available < AcpiTableHeader.Size)
            {
                error = "ACPI table header does not fit in the bytes supplied";
                return AcpiTableStatus.Truncated;
            }
            header = ReadHeader(table);
            if (header.Length < AcpiTableHeader.Size)
            {
                error = TextBuffer.Of($"{Printable(header.SignatureText)} table: Length {header.Length} is shorter than its own 36-byte header");
                return AcpiTableStatus.TooShort;
            }
            if (header.Length > available)
            {
                error = TextBuffer.Of($"{Printable(header.SignatureText)} table: Length {header.Length} runs past the bytes supplied");
                return AcpiTableStatus.Truncated;
            }
            byte sum = Sum(table, header.Length);
            if (sum != 0)
            {
                error = TextBuffer.Of($"{header.SignatureText} table: checksum mismatch (bytes sum to 0x{sum:x2}, not 0)");
                return AcpiTableStatus.BadChecksum;
            }
            return AcpiTableStatus.Valid;
        }

        /// <summary>Validate, then insist on <paramref name="signature"/> and a Length of at least <paramref name="minLength"/>.</summary>
        public static AcpiTableStatus ValidateAs(byte* table, ulong available, string signature, uint minLength,
                                                 out AcpiTableHeader header, out string error)
        {
            var status = Validate(table, available, out header, out error);
            if (status == AcpiTableStatus.Truncated && available < AcpiTableHeader.Size) return status;
            if (!HasSignature(table, available, signature))
            {
                error = TextBuffer.Of($"expected signature {signature}, found {Printable(header.SignatureText)}");
                return AcpiTableStatus.WrongSignature;
            }
            if (status != AcpiTableStatus.Valid && status != AcpiTableStatus.BadChecksum) return status;
            if (header.Length < minLength)
            {
                error = TextBuffer.Of($"{signature} table: Length {header.Length} is shorter than the {minLength} bytes it must have");
                return AcpiTableStatus.TooShort;
            }
            return status;
        }

        /// <summary>True when the table's first four bytes are <paramref name="signature"/> (e.g. "APIC", "FACP").</summary>
        public static bool HasSignature(byte* table, ulong available, string signature)
        {
            if (table == null || available < 4 || signature == null || signature.Length != 4) return false;
            for (int i = 0; i < 4; i++)
                if (table[i] != signature[i]) return false;
            return true;
        }

        /// <summary>The byte sum mod 256 that ACPI checksums are defined over.</summary>
        public static byte Sum(byte* data, ulong length)
        {
            byte sum = 0;
            for (ulong i = 0; i < length; i++) sum += data[i];
            return sum;
        }

        // §5.2.6 Table 5.4: Signature 0, Length 4, Revision 8, Checksum 9, OEMID 10 (6), OEM Table ID 16 (8),
        // OEM Revision 24, Creator ID 28, Creator Revision 32.
        private static AcpiTableHeader ReadHeader(byte* table) => new AcpiTableHeader
        {
            Signature = *(uint*)table,
            Length = *(uint*)(table + 4),
            Revision = table[8],
            Checksum = table[9],
            OemIdRaw = Bytes(table + 10, 6),
            OemTableIdRaw = *(ulong*)(table + 16),
            OemRevision = *(uint*)(table + 24),
            CreatorId = *(uint*)(table + 28),
            CreatorRevision = *(uint*)(table + 32),
        };

        internal static ulong Bytes(byte* data, int count)
        {
            ulong value = 0;
            for (int i = count - 1; i >= 0; i--) value = (value << 8) | data[i];
            return value;
        }

        /// <summary>Up to <paramref name="count"/> ASCII bytes packed little-endian in <paramref name="raw"/>, stopping at a NUL.</summary>
        internal static string Text(ulong raw, int count)
        {
            sbyte* chars = stackalloc sbyte[8];
            int length = 0;
            for (; length < count && length < 8; length++)
            {
                byte c = (byte)(raw >> (8 * length));
                if (c == 0) break;
                chars[length] = (sbyte)c;
            }
            return new string(chars, 0, length);
        }

        /// <summary>The text with anything outside printable ASCII shown as '?', so garbage never reaches a log as control bytes.</summary>
        internal static string Printable(string text)
        {
            bool clean = true;
            for (int i = 0; i < text.Length; i++)
                if (text[i] < ' ' || text[i] > '~') clean = false;
            if (clean) return text;
            char* chars = stackalloc char[8];
            int length = text.Length < 8 ? text.Length : 8;
            for (int i = 0; i < length; i++) chars[i] = text[i] < ' ' || text[i] > '~' ? '?' : text[i];
            return new string(chars, 0, length);
        }
    }

    /// <summary>
    /// One line per problem found in a table. Capped, because the kernel never frees: a hostile table with
    /// thousands of bad entries must not fill the heap with messages.
    /// </summary>
    internal sealed class AcpiWarnings
    {
        public const int MaxLines = 32;

        private string[] _lines = new string[4];
        private int _count;
        private int _dropped;

        public void Add(string line)
        {
            if (_count == MaxLines) { _dropped++; return; }
            if (_count == _lines.Length)
            {
                var grown = new string[_lines.Length * 2];
                for (int i = 0; i < _count; i++) grown[i] = _lines[i];
                _lines = grown;
            }
            _lines[_count++] = line;
        }

        public string[] ToArray()
        {
            var result = new string[_count + (_dropped > 0 ? 1 : 0)];
            for (int i = 0; i < _count; i++) result[i] = _lines[i];
            if (_dropped > 0)
            {
                result[_count] = TextBuffer.Of($"... and {_dropped} more warnings");
            }
            return result;
        }
    }
}

using Kernel.Lib;

namespace Kernel.Arch.Acpi
{
    public enum SleepStateStatus
    {
        NotFound,      // the table is readable and holds no usable Name(_Sx_, Package); also the default
        Found,
        Malformed,     // a Name(_Sx_, Package) is there but cannot be decoded
        BadTable,      // the table itself is unusable (header, length, signature)
    }

    /// <summary>What the search for one \_Sx object found: the SLP_TYPa / SLP_TYPb values, or why there are none.</summary>
    public struct SleepStateInfo
    {
        public SleepStateStatus Status;
        public byte SlpTypA, SlpTypB;
        public uint Offset;            // of the NameOp in the table, when Found
        public string Error;           // null exactly when Found
        public string Warning;         // a bad checksum the search read past, else null
    }

    /// <summary>
    /// Finds \_Sx (ACPI 6.5 §7.4.2: a package whose first two integers are the SLP_TYPx values for PM1a_CNT and
    /// PM1b_CNT) in a DSDT or SSDT without an AML interpreter: it looks for the encoding every compiler emits for
    /// a static definition, NameOp (0x08) [a root '\' or parent '^' prefixes] "_Sx_" PackageOp (0x12) PkgLength
    /// NumElements, followed by integer constants (§20.2.5.5, §20.2.3). A _Sx defined as a Method or with computed
    /// elements is reported as not found or malformed. Every read stays inside the table's Length and the bytes
    /// supplied. Pure: compiled by the host tests too.
    /// </summary>
    public static unsafe class SleepState
    {
        // AML encodings, ACPI 6.5 §20.2.
        private const byte NameOp = 0x08, PackageOp = 0x12, RootChar = (byte)'\\', ParentPrefixChar = (byte)'^';
        private const byte ZeroOp = 0x00, OneOp = 0x01, OnesOp = 0xFF,
                           BytePrefix = 0x0A, WordPrefix = 0x0B, DWordPrefix = 0x0C, QWordPrefix = 0x0E;
        private const byte MaxSlpTyp = 7;   // SLP_TYPx is PM1_CNT bits 12:10 (§4.8.3.2.1, Table 4.13)

        // PM1 control register bits (§4.8.3.2.1, Table 4.13).
        public const ushort SciEnable = 1 << 0;
        public const ushort SleepEnable = 1 << 13;
        private const int SlpTypShift = 10;
        private const ushort SlpTypMask = 7 << SlpTypShift;

        /// <summary>
        /// Searches the AML of <paramref name="table"/> (a whole DSDT or SSDT, header included, signature
        /// <paramref name="signature"/>) for \_S<paramref name="state"/>. A bad checksum is a warning, not a stop:
        /// firmware ships such tables and other OSes use them.
        /// </summary>
        public static SleepStateInfo Find(byte* table, ulong available, string signature, int state)
        {
            var info = new SleepStateInfo();
            AcpiTableStatus status = AcpiTable.ValidateAs(table, available, signature, AcpiTableHeader.Size, out AcpiTableHeader header, out string error);
            if (status == AcpiTableStatus.BadChecksum) info.Warning = error;
            else if (status != AcpiTableStatus.Valid) return Fail(SleepStateStatus.BadTable, error);
            if (state < 0 || state > 5) return Fail(SleepStateStatus.NotFound, "only \\_S0 to \\_S5 exist");

            byte digit = (byte)('0' + state);
            uint start = AcpiTableHeader.Size, end = header.Length;
            string firstProblem = null;
            for (uint at = start; at + 4 <= end; at++)
            {
                if (table[at] != '_' || table[at + 1] != 'S' || table[at + 2] != digit || table[at + 3] != '_') continue;
                uint nameOp = NameOpOffset(table, start, at);
                // Only NameOp _Sx_ PackageOp counts: a lone 0x08 may be another opcode's PkgLength (a Method _Sx_).
                if (nameOp == 0 || at + 4 >= end || table[at + 4] != PackageOp) continue;
                string problem = Decode(table, at + 5, end, ref info);
                if (problem == null)
                {
                    info.Status = SleepStateStatus.Found;
                    info.Offset = nameOp;
                    return info;
                }
                firstProblem ??= problem;
            }
            SleepStateInfo result = firstProblem == null
                ? Fail(SleepStateStatus.NotFound, TextBuffer.Of($"\\_S{(char)digit} not found in the {signature}"))
                : Fail(SleepStateStatus.Malformed, TextBuffer.Of($"\\_S{(char)digit} in the {signature}: {firstProblem}"));
            result.Warning = info.Warning;
            return result;
        }

        /// <summary>
        /// The PM1 control value that enters the sleep state: <paramref name="current"/> with SLP_TYPx replaced and
        /// SLP_EN clear (the first of ACPICA's two writes; the second adds <see cref="SleepEnable"/>).
        /// </summary>
        public static ushort Pm1ControlFor(ushort current, byte slpTyp) =>
            (ushort)((current & ~(SlpTypMask | SleepEnable)) | ((slpTyp & MaxSlpTyp) << SlpTypShift));

        // The NameOp before the name, with '\' or any number of '^' between them (§20.2.2 NamePath, PrefixPath);
        // 0 when there is none (the AML starts after the header, so 0 is never an answer).
        private static uint NameOpOffset(byte* table, uint start, uint name)
        {
            uint at = name;
            if (at > start && table[at - 1] == RootChar) at--;
            else while (at > start && table[at - 1] == ParentPrefixChar) at--;
            return at > start && table[at - 1] == NameOp ? at - 1 : 0;
        }

        // At `lengthAt`, after the PackageOp: PkgLength NumElements PackageElementList. Null on success, else the reason.
        private static string Decode(byte* table, uint lengthAt, uint end, ref SleepStateInfo info)
        {
            if (lengthAt >= end) return "truncated before its PkgLength";

            // §20.2.4: bits 7:6 of the lead byte count the bytes that follow (0–3). With none, bits 5:0 are the
            // length; otherwise bits 3:0 are its low nibble, bits 5:4 must be zero, and each following byte adds 8 bits.
            byte lead = table[lengthAt];
            uint following = (uint)(lead >> 6);
            if (lengthAt + following >= end) return "truncated inside its PkgLength";
            uint length;
            if (following == 0) length = (uint)(lead & 0x3F);
            else
            {
                if ((lead & 0x30) != 0) return "PkgLength has reserved bits 5:4 set";
                length = (uint)(lead & 0x0F);
                for (uint i = 1; i <= following; i++) length |= (uint)table[lengthAt + i] << (int)(4 + 8 * (i - 1));
            }
            // The length counts its own bytes and must at least reach NumElements.
            if (length < following + 2) return "PkgLength too small to hold NumElements";
            if (length > end - lengthAt) return "PkgLength runs past the end of the table";
            uint packageEnd = lengthAt + length;

            uint cursor = lengthAt + 1 + following;
            byte count = table[cursor++];
            if (count == 0) return "empty Package";
            if (!ReadInteger(table, ref cursor, packageEnd, out ulong first)) return "element 0 is not an integer constant";
            ulong second;
            if (count == 1)
            {
                // ACPICA (acpi_get_sleep_type_data): one integer carries SLP_TYPa in bits 7:0 and SLP_TYPb in 15:8.
                second = (first >> 8) & 0xFF;
                first &= 0xFF;
            }
            else if (!ReadInteger(table, ref cursor, packageEnd, out second)) return "element 1 is not an integer constant";
            if (first > MaxSlpTyp || second > MaxSlpTyp) return "a SLP_TYP value does not fit the 3-bit field";
            info.SlpTypA = (byte)first;
            info.SlpTypB = (byte)second;
            return null;
        }

        // ZeroOp, OneOp, OnesOp, or a Byte/Word/DWord/QWord prefix and its little-endian data (§20.2.3, §20.2.5.4).
        private static bool ReadInteger(byte* table, ref uint cursor, uint end, out ulong value)
        {
            value = 0;
            if (cursor >= end) return false;
            byte op = table[cursor++];
            int size;
            if (op == ZeroOp) return true;
            if (op == OneOp) { value = 1; return true; }
            if (op == OnesOp) { value = ulong.MaxValue; return true; }
            if (op == BytePrefix) size = 1;
            else if (op == WordPrefix) size = 2;
            else if (op == DWordPrefix) size = 4;
            else if (op == QWordPrefix) size = 8;
            else return false;
            if ((ulong)cursor + (ulong)size > end) return false;
            value = AcpiTable.Bytes(table + cursor, size);
            cursor += (uint)size;
            return true;
        }

        private static SleepStateInfo Fail(SleepStateStatus status, string error) => new SleepStateInfo { Status = status, Error = error };
    }
}

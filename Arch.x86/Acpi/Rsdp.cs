namespace Kernel.Arch.Acpi
{
    /// <summary>What the kernel keeps from the Root System Description Pointer.</summary>
    public struct RsdpInfo
    {
        public byte Revision;          // 0 for ACPI 1.0, 2 for ACPI 2.0 and later
        public ulong OemIdRaw;
        public uint RsdtAddress;
        public ulong XsdtAddress;      // 0 unless the extended (revision ≥ 2) part was supplied and checked
        public uint Length;            // 20 for the ACPI 1.0 part alone, else the structure's Length field

        public string OemId => AcpiTable.Text(OemIdRaw, 6);

        /// <summary>§5.2.5.3: an OS on an ACPI 2.0+ platform uses the XSDT when there is one.</summary>
        public bool RootIsXsdt => XsdtAddress != 0;
        public ulong RootTableAddress => XsdtAddress != 0 ? XsdtAddress : RsdtAddress;
    }

    /// <summary>
    /// The RSDP (ACPI 6.5 §5.2.5.3, Table 5.3): "RSD PTR ", a checksum over the first 20 bytes (the ACPI 1.0
    /// structure), and from revision 2 a Length, the XSDT address and an extended checksum over Length bytes.
    /// Pure: compiled by the host tests and tools/AcpiTool too.
    /// </summary>
    public static unsafe class Rsdp
    {
        public const uint V1Size = 20;
        public const uint V2Size = 36;

        // Offsets in Table 5.3 (the checksum is byte 8, the extended checksum byte 32: both are checked as sums).
        private const int OemIdOffset = 9, RevisionOffset = 15, RsdtOffset = 16,
                          LengthOffset = 20, XsdtOffset = 24;

        /// <summary>
        /// Parses an RSDP from <paramref name="length"/> readable bytes. A revision ≥ 2 structure supplied as
        /// its first 20 bytes only (multiboot2 tag 14 holds exactly that copy, whatever Revision says) yields
        /// the RSDT alone; once the 36 bytes are there, Length and the extended checksum must hold.
        /// </summary>
        public static bool Parse(byte* rsdp, uint length, out RsdpInfo info, out string error)
        {
            info = default;
            error = null;
            if (rsdp == null || length < V1Size) { error = "RSDP: fewer than the 20 bytes of an ACPI 1.0 RSDP"; return false; }
            if (!HasSignature(rsdp)) { error = "RSDP: signature is not \"RSD PTR \""; return false; }
            if (AcpiTable.Sum(rsdp, V1Size) != 0) { error = "RSDP: checksum over the first 20 bytes is not 0"; return false; }

            info.Revision = rsdp[RevisionOffset];
            info.OemIdRaw = AcpiTable.Bytes(rsdp + OemIdOffset, 6);
            info.RsdtAddress = *(uint*)(rsdp + RsdtOffset);
            info.Length = V1Size;

            if (info.Revision >= 2 && length >= V2Size)
            {
                uint declared = *(uint*)(rsdp + LengthOffset);
                if (declared < V2Size) { error = "RSDP: revision 2 or later but Length is below 36"; return false; }
                if (declared > length) { error = "RSDP: Length runs past the bytes supplied"; return false; }
                if (AcpiTable.Sum(rsdp, declared) != 0) { error = "RSDP: extended checksum over Length bytes is not 0"; return false; }
                info.Length = declared;
                info.XsdtAddress = *(ulong*)(rsdp + XsdtOffset);
            }

            if (info.RootTableAddress == 0) { error = "RSDP: neither an RSDT nor an XSDT address"; return false; }
            return true;
        }

        /// <summary>
        /// Scans <paramref name="area"/> on 16-byte boundaries for an RSDP that parses (§5.2.5.1: the first 1 KiB
        /// of the EBDA, then 0xE0000–0xFFFFF; the caller passes each range, which start 16-byte aligned).
        /// Returns the offset of the first one, or -1. Finds nothing under UEFI, where the RSDP comes from the
        /// multiboot2 tags instead.
        /// </summary>
        public static long FindInBiosArea(byte* area, uint length)
        {
            if (area == null) return -1;
            for (ulong offset = 0; offset + V1Size <= length; offset += 16)
            {
                if (HasSignature(area + offset) && Parse(area + offset, (uint)(length - offset), out _, out _))
                    return (long)offset;
            }
            return -1;
        }

        private static bool HasSignature(byte* p) =>
            p[0] == 'R' && p[1] == 'S' && p[2] == 'D' && p[3] == ' ' && p[4] == 'P' && p[5] == 'T' && p[6] == 'R' && p[7] == ' ';
    }
}

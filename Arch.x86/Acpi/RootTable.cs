using Kernel.Lib;

namespace Kernel.Arch.Acpi
{
    /// <summary>The RSDT or XSDT: the physical addresses of every other table.</summary>
    public sealed class RootTableInfo
    {
        public AcpiTableStatus Status;
        public string Error;                  // null when Status is Valid
        public AcpiTableHeader Header;
        public bool IsXsdt;
        public ulong[] Entries = new ulong[0];
        public string[] Warnings = new string[0];
    }

    /// <summary>
    /// RSDT (ACPI 6.5 §5.2.7: 32-bit entries) and XSDT (§5.2.8: 64-bit entries, not 8-byte aligned), both an
    /// ACPI header followed by the array. A bad checksum is reported in Status and the entries are still read;
    /// the caller decides whether to trust them. Pure: compiled by the host tests and tools/AcpiTool too.
    /// </summary>
    public static unsafe class RootTable
    {
        public static RootTableInfo Parse(byte* table, ulong available)
        {
            var result = new RootTableInfo();
            bool xsdt = AcpiTable.HasSignature(table, available, "XSDT");
            result.IsXsdt = xsdt;
            result.Status = AcpiTable.ValidateAs(table, available, xsdt ? "XSDT" : "RSDT", AcpiTableHeader.Size,
                                                 out result.Header, out result.Error);
            if (result.Status != AcpiTableStatus.Valid && result.Status != AcpiTableStatus.BadChecksum) return result;

            var warnings = new AcpiWarnings();
            uint entrySize = xsdt ? 8u : 4u;
            uint bytes = result.Header.Length - AcpiTableHeader.Size;
            uint count = bytes / entrySize;
            if (bytes % entrySize != 0)
            {
                warnings.Add(TextBuffer.Of($"{(xsdt ? "XSDT" : "RSDT")}: {bytes} bytes of entries is not a whole number of {entrySize}-byte addresses; the last partial entry is ignored"));
            }

            var entries = new ulong[count];
            int kept = 0;
            for (uint i = 0; i < count; i++)
            {
                byte* entry = table + AcpiTableHeader.Size + i * entrySize;
                ulong address = xsdt ? *(ulong*)entry : *(uint*)entry;
                if (address == 0)
                {
                    warnings.Add(TextBuffer.Of($"{(xsdt ? "XSDT" : "RSDT")}: entry {i} is a null address; skipped"));
                    continue;
                }
                entries[kept++] = address;
            }
            if (kept != entries.Length)
            {
                var exact = new ulong[kept];
                for (int i = 0; i < kept; i++) exact[i] = entries[i];
                entries = exact;
            }
            result.Entries = entries;
            result.Warnings = warnings.ToArray();
            return result;
        }
    }
}

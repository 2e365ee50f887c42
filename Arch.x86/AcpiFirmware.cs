using Kernel.Arch.Acpi;
using Kernel.Lib;

namespace Kernel.Arch
{
    /// <summary>
    /// The machine's ACPI tables as the kernel found them: the RSDP from the multiboot2 tags (the only
    /// way under UEFI) or else the BIOS areas (ACPI 6.5 §5.2.5.1), the XSDT (or RSDT), and from it the
    /// MADT and FADT, and the \_S5 values for power-off from the DSDT (or an SSDT). Runs on the boot page
    /// tables, before Paging.Initialize unmaps page 0, because the BIOS-area search reads the EBDA segment
    /// from the BIOS data area at 0x40E. Every problem is one log line and a safe result: without a usable
    /// MADT the kernel runs on the boot CPU alone; without \_S5, power-off skips ACPI; of two MADTs or FADTs
    /// the first valid one is used. `acpi=off` skips all of it.
    /// </summary>
    public static unsafe class AcpiFirmware
    {
        private const ulong BiosDataEbdaSegment = 0x40E;     // BIOS data area word: EBDA segment
        private const uint EbdaSearchLength = 1024;          // §5.2.5.1: the first 1 KiB of the EBDA
        private const ulong BiosRomStart = 0xE0000, BiosRomEnd = 0x100000;
        private const ulong BootMappedTop = 1UL << 32;       // Boot/Entry.asm maps the first 4 GiB
        private const ulong MaxTableLength = 1024 * 1024;    // no sane ACPI table is larger

        public static MadtInfo Madt { get; private set; } = new MadtInfo();
        public static FadtInfo Fadt { get; private set; }
        public static SleepStateInfo S5 { get; private set; } = new SleepStateInfo { Error = "no ACPI tables" };
        public static bool Found { get; private set; }

        public static void Discover(BootInfo boot, uint bootApicId, int maxCpus, bool ignoreFirmware)
        {
            if (ignoreFirmware)
            {
                Log.Warn("acpi", "acpi=off: firmware tables ignored: boot CPU only, PIT calibration, no I/O APIC routes, no power off through ACPI");
                return;
            }
            if (!FindRoot(boot, out RsdpInfo rsdp, out string source))
            {
                Log.Warn("acpi", "no valid RSDP (no multiboot2 ACPI tag, nothing in the BIOS areas): boot CPU only, no PM timer");
                return;
            }
            if (!Readable(rsdp.RootTableAddress, AcpiTableHeader.Size))
            {
                Log.Warn("acpi", $"the {(rsdp.RootIsXsdt ? "XSDT" : "RSDT")} at 0x{rsdp.RootTableAddress:x} lies outside the mapped 4 GiB: ignoring ACPI");
                return;
            }
            RootTableInfo root = RootTable.Parse((byte*)rsdp.RootTableAddress, MaxTableLength);
            if (root.Status != AcpiTableStatus.Valid && root.Status != AcpiTableStatus.BadChecksum)
            {
                Log.Warn("acpi", $"root table unusable: {root.Error}");
                return;
            }
            Found = true;
            LogProblems(root.Error, root.Warnings);
            Log.Info("acpi", $"RSDP revision {rsdp.Revision} from {source}, OEM '{rsdp.OemId}', {(root.IsXsdt ? "XSDT" : "RSDT")} with {root.Entries.Length} tables");

            for (int i = 0; i < root.Entries.Length; i++)
            {
                byte* table = (byte*)root.Entries[i];
                if (!Readable(root.Entries[i], AcpiTableHeader.Size))
                {
                    Log.Warn("acpi", $"table {i} at 0x{root.Entries[i]:x} lies outside the mapped 4 GiB: skipped");
                    continue;
                }
                if (AcpiTable.HasSignature(table, AcpiTableHeader.Size, "APIC")) ParseMadt(table, bootApicId, maxCpus);
                else if (AcpiTable.HasSignature(table, AcpiTableHeader.Size, "FACP")) ParseFadt(table);
            }
            if (Madt.Header.Length == 0) Log.Warn("acpi", "no MADT: boot CPU only");
            if (Fadt == null) Log.Warn("acpi", "no FADT: no ACPI PM timer");
            FindS5(root);
        }

        // ACPI 6.5 §7.4.2: \_S5 is usually a Name in the DSDT; some firmware puts it in an SSDT.
        private static void FindS5(RootTableInfo root)
        {
            if (Fadt == null)
            {
                S5 = new SleepStateInfo { Error = "no FADT, so no DSDT" };
                Log.Warn("acpi", "no S5: no FADT, so no DSDT; power off will not use ACPI");
                return;
            }
            SleepStateInfo s5 = SearchTable(Fadt.DsdtAddress, "DSDT");
            string source = "DSDT";
            for (int i = 0; i < root.Entries.Length && s5.Status != SleepStateStatus.Found; i++)
            {
                if (!Readable(root.Entries[i], AcpiTableHeader.Size) || !AcpiTable.HasSignature((byte*)root.Entries[i], AcpiTableHeader.Size, "SSDT")) continue;
                SleepStateInfo fromSsdt = SearchTable(root.Entries[i], "SSDT");
                if (fromSsdt.Status != SleepStateStatus.Found) continue;
                s5 = fromSsdt;
                source = TextBuffer.Of($"SSDT at 0x{root.Entries[i]:x}");
            }
            if (s5.Warning != null) Log.Warn("acpi", s5.Warning);
            S5 = s5;
            if (s5.Status == SleepStateStatus.Found)
                Log.Info("acpi", $"S5 SLP_TYPa={s5.SlpTypA} SLP_TYPb={s5.SlpTypB} from {source}");
            else
                Log.Warn("acpi", $"no S5: {s5.Error}{(s5.Status == SleepStateStatus.NotFound ? " or any SSDT" : "")}; power off will not use ACPI");
        }

        private static SleepStateInfo SearchTable(ulong address, string signature)
        {
            if (!Readable(address, AcpiTableHeader.Size))
                return new SleepStateInfo { Status = SleepStateStatus.BadTable, Error = TextBuffer.Of($"the {signature} at 0x{address:x} is not in the mapped 4 GiB") };
            ulong available = BootMappedTop - address;
            return SleepState.Find((byte*)address, available < MaxTableLength ? available : MaxTableLength, signature, 5);
        }

        private static void ParseMadt(byte* table, uint bootApicId, int maxCpus)
        {
            MadtInfo madt = Acpi.Madt.Parse(table, MaxTableLength, bootApicId, maxCpus);
            LogProblems(madt.Error, madt.Warnings);
            if (madt.Status != AcpiTableStatus.Valid && madt.Status != AcpiTableStatus.BadChecksum) return;
            if (!PreferOver(Madt.Header.Length != 0, Madt.Status, madt.Status, "MADT", table)) return;
            for (int i = 0; i < madt.Notes.Length; i++) Log.Debug("acpi", madt.Notes[i]);
            Madt = madt;
            Log.Info("acpi", $"MADT: {madt.BootCpuCount} CPUs enabled, {madt.HotplugSlotCount} online-capable, {madt.DisabledCount} disabled; {madt.IoApics.Length} I/O APICs, {madt.Overrides.Length} overrides, local APIC 0x{madt.LocalApicAddress:x}");
        }

        private static void ParseFadt(byte* table)
        {
            FadtInfo fadt = Acpi.Fadt.Parse(table, MaxTableLength);
            LogProblems(fadt.Error, fadt.Warnings);
            if (fadt.Status != AcpiTableStatus.Valid && fadt.Status != AcpiTableStatus.BadChecksum) return;
            if (!PreferOver(Fadt != null, Fadt == null ? AcpiTableStatus.Valid : Fadt.Status, fadt.Status, "FADT", table)) return;
            Fadt = fadt;
            Log.Info("acpi", $"FADT revision {fadt.Header.Revision}: SCI {fadt.SciInterrupt}, PM timer port 0x{fadt.PmTimerPort:x} ({(fadt.PmTimer32Bit ? 32 : 24)}-bit), GPE0 0x{fadt.Gpe0Port:x}");
        }

        // A second table of a kind: the first valid one wins; one with a bad checksum only stands in until a valid one appears.
        private static bool PreferOver(bool haveOne, AcpiTableStatus current, AcpiTableStatus candidate, string kind, byte* table)
        {
            if (!haveOne) return true;
            bool replace = current == AcpiTableStatus.BadChecksum && candidate == AcpiTableStatus.Valid;
            Log.Warn("acpi", $"another {kind} at 0x{(ulong)table:x}{(replace ? ": it replaces the earlier one, whose checksum is bad" : ": ignored, the first one is used")}");
            return replace;
        }

        private static bool FindRoot(BootInfo boot, out RsdpInfo rsdp, out string source)
        {
            rsdp = default;
            source = null;
            if (TryParse(boot.RsdpV2, ref rsdp)) source = "multiboot2 (ACPI 2.0+ tag)";
            else if (TryParse(boot.RsdpV1, ref rsdp)) source = "multiboot2 (ACPI 1.0 tag)";
            else if (ScanBios(ref rsdp, out ulong address)) source = TextBuffer.Of($"the BIOS area at 0x{address:x}");
            return source != null;
        }

        private static bool TryParse(byte[] copy, ref RsdpInfo rsdp)
        {
            if (copy == null) return false;
            fixed (byte* bytes = copy)
            {
                if (Rsdp.Parse(bytes, (uint)copy.Length, out rsdp, out string error)) return true;
                Log.Warn("acpi", $"multiboot2 RSDP copy rejected: {error}");
                return false;
            }
        }

        private static bool ScanBios(ref RsdpInfo rsdp, out ulong address)
        {
            ulong ebda = (ulong)*(ushort*)BiosDataEbdaSegment << 4;
            if (ebda >= 0x80000 && ebda < BiosRomStart && TryArea(ebda, EbdaSearchLength, ref rsdp, out address)) return true;
            return TryArea(BiosRomStart, (uint)(BiosRomEnd - BiosRomStart), ref rsdp, out address);
        }

        private static bool TryArea(ulong start, uint length, ref RsdpInfo rsdp, out ulong address)
        {
            long offset = Rsdp.FindInBiosArea((byte*)start, length);
            address = start + (ulong)offset;
            return offset >= 0 && Rsdp.Parse((byte*)address, (uint)(start + length - address), out rsdp, out _);
        }

        private static bool Readable(ulong address, ulong length) => address != 0 && address + length <= BootMappedTop;

        private static void LogProblems(string error, string[] warnings)
        {
            if (error != null) Log.Warn("acpi", error);
            for (int i = 0; i < warnings.Length; i++) Log.Warn("acpi", warnings[i]);
        }
    }
}

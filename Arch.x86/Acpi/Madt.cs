using Kernel.Lib;

namespace Kernel.Arch.Acpi
{
    /// <summary>MPS INTI flags bits 1:0 (ACPI 6.5 §5.2.12.5, Table 5.26 "MPS INTI Flags").</summary>
    public enum InterruptPolarity : byte { BusDefault = 0, ActiveHigh = 1, Reserved = 2, ActiveLow = 3 }

    /// <summary>MPS INTI flags bits 3:2 (ACPI 6.5 §5.2.12.5, Table 5.26 "MPS INTI Flags").</summary>
    public enum InterruptTrigger : byte { BusDefault = 0, Edge = 1, Reserved = 2, Level = 3 }

    /// <summary>A Processor Local APIC (type 0, §5.2.12.2) or Processor Local x2APIC (type 9, §5.2.12.12) entry.</summary>
    public struct MadtCpu
    {
        public uint ApicId;
        public uint Uid;              // ACPI Processor UID; under QEMU the possible-CPU index (the hot-plug selector)
        public uint Flags;            // raw Local APIC Flags (Table 5.23)
        public bool Enabled;          // bit 0: running at boot, start it
        public bool OnlineCapable;    // bit 1, meaningful only when not Enabled: a hot-plug slot, not a CPU to start
        public bool IsX2Apic;
        public bool IsBootCpu;        // its APIC ID is the one the caller said the boot CPU has
    }

    /// <summary>An I/O APIC entry (type 1, §5.2.12.3).</summary>
    public struct MadtIoApic
    {
        public byte Id;
        public uint Address;
        public uint GsiBase;
    }

    /// <summary>An Interrupt Source Override (type 2, §5.2.12.5): ISA IRQ SourceIrq arrives on Gsi, with these flags.</summary>
    public struct MadtOverride
    {
        public byte Bus;              // 0 = ISA, the only value the spec defines
        public byte SourceIrq;
        public uint Gsi;
        public ushort Flags;
        public InterruptPolarity Polarity;
        public InterruptTrigger Trigger;
    }

    /// <summary>A Non-Maskable Interrupt Source (type 3, §5.2.12.6): a GSI wired to NMI.</summary>
    public struct MadtNmiSource
    {
        public uint Gsi;
        public ushort Flags;
        public InterruptPolarity Polarity;
        public InterruptTrigger Trigger;
    }

    /// <summary>A Local APIC NMI (type 4, §5.2.12.7) or Local x2APIC NMI (type 0xA, §5.2.12.13): which LINT pin carries NMI.</summary>
    public struct MadtLocalNmi
    {
        public uint Uid;              // ACPI Processor UID as written: 0xFF (type 4) or 0xFFFFFFFF (type 0xA) means every CPU
        public bool AllProcessors;
        public byte Lint;             // 0 = LINT0, 1 = LINT1
        public ushort Flags;
        public InterruptPolarity Polarity;
        public InterruptTrigger Trigger;
        public bool IsX2Apic;
    }

    /// <summary>Everything the kernel takes from the MADT. Never null; a table that cannot be read yields no CPUs and UseBootCpuOnly.</summary>
    public sealed class MadtInfo
    {
        /// <summary>The table verdict: Valid, or BadChecksum with everything still parsed; any other status means nothing was parsed.</summary>
        public AcpiTableStatus Status;
        public string Error;                      // the verdict as one line; null when Valid
        public AcpiTableHeader Header;

        public uint LocalApicAddressField;        // the 32-bit header field (§5.2.12, Table 5.19)
        public ulong LocalApicAddress;            // the address to use: the field, or a type-5 override (§5.2.12.8)
        public bool LocalApicAddressOverridden;
        public uint Flags;
        public bool PcAtCompat => (Flags & 1) != 0;   // Table 5.20: dual 8259s present; mask them before using the I/O APIC

        /// <summary>Accepted CPU entries in table order: enabled CPUs, hot-plug slots and plain disabled entries (see the counts).</summary>
        public MadtCpu[] Cpus = new MadtCpu[0];
        public MadtIoApic[] IoApics = new MadtIoApic[0];
        public MadtOverride[] Overrides = new MadtOverride[0];
        public MadtNmiSource[] NmiSources = new MadtNmiSource[0];
        public MadtLocalNmi[] LocalNmis = new MadtLocalNmi[0];
        public string[] Warnings = new string[0];
        /// <summary>Remarks on entries skipped by design (reserved and OEM types, placeholder CPUs): debug level, not problems.</summary>
        public string[] Notes = new string[0];

        /// <summary>Enabled CPUs in Cpus: the ones to start at boot (the boot CPU among them).</summary>
        public int BootCpuCount;
        /// <summary>Online-capable, not enabled: slots firmware says can be brought online later.</summary>
        public int HotplugSlotCount;
        /// <summary>Neither enabled nor online-capable (QEMU lists absent possible CPUs this way). Recorded, not interpreted.</summary>
        public int DisabledCount;
        /// <summary>Disabled entries dropped: they reuse another CPU entry's APIC ID (one warning), or carry the invalid ID (a note).</summary>
        public int IgnoredDisabledCount;
        /// <summary>x2APIC entries with an APIC ID below 255 dropped because usable local APIC entries exist (§5.2.12.12).</summary>
        public int IgnoredX2ApicCount;
        /// <summary>Enabled or online-capable CPUs dropped because there were more than maxCpus.</summary>
        public int DroppedOverLimitCount;
        /// <summary>Entries of types this parser does not use (SAPIC, GIC, wakeup, LoongArch PICs, reserved, OEM), skipped by their length.</summary>
        public int SkippedEntryCount;
        /// <summary>The boot CPU's APIC ID is among the enabled CPUs (false when the caller did not know it).</summary>
        public bool BootCpuListed;
        /// <summary>No enabled CPU survived: the kernel runs on the boot CPU alone.</summary>
        public bool UseBootCpuOnly => BootCpuCount == 0;
    }

    /// <summary>
    /// The Multiple APIC Description Table (ACPI 6.5 §5.2.12): a 44-byte header (ACPI header, local APIC
    /// address, flags), then {type, length, ...} entries up to the table's Length. Every entry is bounds-checked
    /// and every loop advances by at least 2 bytes or stops; bad entries become one warning line each and a
    /// safe result. Pure: compiled by the host tests and tools/AcpiTool too.
    /// </summary>
    public static unsafe class Madt
    {
        public const uint HeaderSize = 44;
        public const uint UnknownApicId = 0xFFFFFFFF;

        // Table 5.21 "Interrupt Controller Structure Types" and each structure's length in its own table.
        private const byte TypeLocalApic = 0, TypeIoApic = 1, TypeOverride = 2, TypeNmiSource = 3, TypeLocalNmi = 4,
                           TypeAddressOverride = 5, TypeLocalX2Apic = 9, TypeLocalX2ApicNmi = 0xA;
        private const uint LocalApicSize = 8, IoApicSize = 12, OverrideSize = 10, NmiSourceSize = 8, LocalNmiSize = 6,
                           AddressOverrideSize = 12, LocalX2ApicSize = 16, LocalX2ApicNmiSize = 12;

        // Table 5.21: types up to 0x17 are defined (0x11–0x17 are LoongArch PICs), 0x18–0x7F are reserved, 0x80–0xFF are for OEM use.
        private const byte FirstReservedType = 0x18, FirstOemType = 0x80;

        // Table 5.23 "Local APIC Flags".
        private const uint FlagEnabled = 1u << 0, FlagOnlineCapable = 1u << 1;

        // Type 0 carries an 8-bit APIC ID, and 0xFF is the xAPIC broadcast destination; 0xFFFFFFFF is the x2APIC
        // one (SDM Vol. 3A §11.6.1 and §11.12.9 "ICR Operation in x2APIC Mode"): neither can name one CPU.
        private const uint InvalidXApicId = ApicMode.XApicBroadcastId, InvalidX2ApicId = 0xFFFFFFFF;

        /// <summary>
        /// Parses the MADT in <paramref name="available"/> bytes. <paramref name="bootApicId"/> (or UnknownApicId)
        /// marks the CPU that is always kept; at most <paramref name="maxCpus"/> enabled or online-capable CPUs
        /// are kept: the boot CPU, then enabled CPUs, then hot-plug slots, each in table order.
        /// </summary>
        public static MadtInfo Parse(byte* table, ulong available, uint bootApicId, int maxCpus)
        {
            var info = new MadtInfo();
            info.Status = AcpiTable.ValidateAs(table, available, "APIC", HeaderSize, out info.Header, out info.Error);
            if (info.Status != AcpiTableStatus.Valid && info.Status != AcpiTableStatus.BadChecksum) return info;

            var warnings = new AcpiWarnings();
            var notes = new AcpiWarnings();
            info.LocalApicAddressField = *(uint*)(table + 36);
            info.LocalApicAddress = info.LocalApicAddressField;
            info.Flags = *(uint*)(table + 40);

            // Walk 1: find where the entries stop being well-formed, and count each kind to size the arrays.
            ulong end = info.Header.Length;
            ulong pos = HeaderSize;
            int cpuEntries = 0, ioApics = 0, overrides = 0, nmiSources = 0, localNmis = 0;
            while (pos < end)
            {
                if (end - pos < 2)
                {
                    warnings.Add(TextBuffer.Of($"MADT: a stray byte at offset 0x{pos:x} after the last entry; ignored"));
                    break;
                }
                uint length = table[pos + 1];
                if (length < 2)
                {
                    warnings.Add(TextBuffer.Of($"MADT type-{table[pos]} entry at offset 0x{pos:x} has length {length}; the entries from here on are ignored"));
                    break;
                }
                if (length > end - pos)
                {
                    warnings.Add(TextBuffer.Of($"MADT type-{table[pos]} entry at offset 0x{pos:x} of length {length} runs past the end of the table; it and what follows are ignored"));
                    break;
                }
                switch (table[pos])
                {
                    case TypeLocalApic: case TypeLocalX2Apic: cpuEntries++; break;
                    case TypeIoApic: ioApics++; break;
                    case TypeOverride: overrides++; break;
                    case TypeNmiSource: nmiSources++; break;
                    case TypeLocalNmi: case TypeLocalX2ApicNmi: localNmis++; break;
                }
                pos += length;
            }
            ulong entriesEnd = pos;

            // Walk 2: over the well-formed range only, so every entry's length is known to be in bounds.
            var cpus = new MadtCpu[cpuEntries];
            var ioApicList = new MadtIoApic[ioApics];
            var overrideList = new MadtOverride[overrides];
            var nmiSourceList = new MadtNmiSource[nmiSources];
            var localNmiList = new MadtLocalNmi[localNmis];
            int cpuCount = 0, ioApicCount = 0, overrideCount = 0, nmiSourceCount = 0, localNmiCount = 0;
            for (pos = HeaderSize; pos < entriesEnd; pos += table[pos + 1])
            {
                byte* e = table + pos;
                byte type = e[0];
                uint length = e[1];
                uint needed = DefinedSize(type);
                if (needed == 0)
                {
                    info.SkippedEntryCount++;
                    if (type >= FirstOemType) notes.Add(TextBuffer.Of($"MADT type-{type} entry at offset 0x{pos:x} is an OEM type (Table 5.21); skipped by its length {length}"));
                    else if (type >= FirstReservedType) notes.Add(TextBuffer.Of($"MADT type-{type} entry at offset 0x{pos:x} is a reserved type (Table 5.21); skipped by its length {length}"));
                    continue;
                }
                if (length < needed)
                {
                    warnings.Add(TextBuffer.Of($"MADT type-{type} entry at offset 0x{pos:x} is {length} bytes, shorter than the {needed} its type defines; skipped"));
                    continue;
                }
                switch (type)
                {
                    case TypeLocalApic:
                        cpus[cpuCount++] = Cpu(apicId: e[3], uid: e[2], flags: *(uint*)(e + 4), x2Apic: false);
                        break;
                    case TypeLocalX2Apic:
                        cpus[cpuCount++] = Cpu(apicId: *(uint*)(e + 4), uid: *(uint*)(e + 12), flags: *(uint*)(e + 8), x2Apic: true);
                        break;
                    case TypeIoApic:
                        var ioApic = new MadtIoApic { Id = e[2], Address = *(uint*)(e + 4), GsiBase = *(uint*)(e + 8) };
                        if (ioApic.Address == 0) { warnings.Add(TextBuffer.Of($"MADT type-{type} entry at offset 0x{pos:x} (I/O APIC {ioApic.Id}) has address 0; skipped")); break; }
                        ioApicList[ioApicCount++] = ioApic;
                        break;
                    case TypeOverride:
                        ushort overrideFlags = *(ushort*)(e + 8);
                        overrideList[overrideCount++] = new MadtOverride
                        {
                            Bus = e[2], SourceIrq = e[3], Gsi = *(uint*)(e + 4), Flags = overrideFlags,
                            Polarity = PolarityOf(overrideFlags), Trigger = TriggerOf(overrideFlags),
                        };
                        break;
                    case TypeNmiSource:
                        ushort nmiFlags = *(ushort*)(e + 2);
                        nmiSourceList[nmiSourceCount++] = new MadtNmiSource
                        {
                            Gsi = *(uint*)(e + 4), Flags = nmiFlags, Polarity = PolarityOf(nmiFlags), Trigger = TriggerOf(nmiFlags),
                        };
                        break;
                    case TypeLocalNmi:
                        AddLocalNmi(localNmiList, ref localNmiCount, warnings, pos, type, uid: e[2], flags: *(ushort*)(e + 3), lint: e[5]);
                        break;
                    case TypeLocalX2ApicNmi:
                        AddLocalNmi(localNmiList, ref localNmiCount, warnings, pos, type, uid: *(uint*)(e + 4), flags: *(ushort*)(e + 2), lint: e[8]);
                        break;
                    case TypeAddressOverride:
                        ulong address = *(ulong*)(e + 4);
                        if (info.LocalApicAddressOverridden) warnings.Add(TextBuffer.Of($"MADT: a second Local APIC Address Override at offset 0x{pos:x}; only the first is used"));
                        else if (address == 0) warnings.Add(TextBuffer.Of($"MADT: the Local APIC Address Override at offset 0x{pos:x} gives address 0; ignored"));
                        else { info.LocalApicAddress = address; info.LocalApicAddressOverridden = true; }
                        break;
                }
            }
            if (info.LocalApicAddress == 0) warnings.Add("MADT: the local APIC address is 0");

            info.IoApics = Arrays.Prefix(ioApicList, ioApicCount);
            info.Overrides = Arrays.Prefix(overrideList, overrideCount);
            info.NmiSources = Arrays.Prefix(nmiSourceList, nmiSourceCount);
            info.LocalNmis = Arrays.Prefix(localNmiList, localNmiCount);
            info.Cpus = SelectCpus(info, cpus, cpuCount, bootApicId, maxCpus, warnings, notes);
            info.Warnings = warnings.ToArray();
            info.Notes = notes.ToArray();
            return info;
        }

        public static InterruptPolarity PolarityOf(ushort intiFlags) => (InterruptPolarity)(intiFlags & 3);
        public static InterruptTrigger TriggerOf(ushort intiFlags) => (InterruptTrigger)((intiFlags >> 2) & 3);

        private static uint DefinedSize(byte type)
        {
            switch (type)
            {
                case TypeLocalApic: return LocalApicSize;
                case TypeIoApic: return IoApicSize;
                case TypeOverride: return OverrideSize;
                case TypeNmiSource: return NmiSourceSize;
                case TypeLocalNmi: return LocalNmiSize;
                case TypeAddressOverride: return AddressOverrideSize;
                case TypeLocalX2Apic: return LocalX2ApicSize;
                case TypeLocalX2ApicNmi: return LocalX2ApicNmiSize;
                default: return 0;   // not used here: skipped by its length
            }
        }

        private static MadtCpu Cpu(uint apicId, uint uid, uint flags, bool x2Apic)
        {
            bool enabled = (flags & FlagEnabled) != 0;
            return new MadtCpu
            {
                ApicId = apicId, Uid = uid, Flags = flags, IsX2Apic = x2Apic, Enabled = enabled,
                // Table 5.23: with Enabled set, Online Capable is reserved and must be zero.
                OnlineCapable = !enabled && (flags & FlagOnlineCapable) != 0,
            };
        }

        private static void AddLocalNmi(MadtLocalNmi[] list, ref int count, AcpiWarnings warnings, ulong pos, byte type,
                                        uint uid, ushort flags, byte lint)
        {
            if (lint > 1)
            {
                warnings.Add(TextBuffer.Of($"MADT type-{type} entry at offset 0x{pos:x} names LINT{lint}, but a local APIC has only LINT0 and LINT1; skipped"));
                return;
            }
            bool x2Apic = type == TypeLocalX2ApicNmi;
            list[count++] = new MadtLocalNmi
            {
                Uid = uid, AllProcessors = x2Apic ? uid == 0xFFFFFFFF : uid == 0xFF, Lint = lint, Flags = flags,
                Polarity = PolarityOf(flags), Trigger = TriggerOf(flags), IsX2Apic = x2Apic,
            };
        }

        // CPU entries are filtered after the walk, because whether an entry duplicates another does not depend on
        // which comes first in the table.
        private static MadtCpu[] SelectCpus(MadtInfo info, MadtCpu[] cpus, int count, uint bootApicId, int maxCpus,
                                            AcpiWarnings warnings, AcpiWarnings notes)
        {
            var state = new byte[count];

            // The invalid IDs: firmware lists disabled placeholder entries with them (a note); a usable one is an error.
            int placeholders = 0;
            for (int i = 0; i < count; i++)
            {
                uint invalid = cpus[i].IsX2Apic ? InvalidX2ApicId : InvalidXApicId;
                if (cpus[i].ApicId != invalid) continue;
                state[i] = Dropped;
                if (Usable(cpus[i])) warnings.Add(CpuLine(cpus[i], "has the broadcast APIC ID, which names no CPU; skipped"));
                else placeholders++;
            }
            if (placeholders > 0)
                notes.Add(TextBuffer.Of($"MADT: {placeholders} disabled CPU entries with the invalid APIC ID (0xFF, x2APIC 0xFFFFFFFF) are placeholders; ignored"));
            info.IgnoredDisabledCount = placeholders;

            // §5.2.12.12: a CPU with an APIC ID below 255 is described by a type-0 entry. When usable type-0 entries
            // exist, type-9 entries with such IDs are ignored, as Linux does (arch/x86/kernel/acpi/boot.c, acpi_parse_x2apic).
            bool usableXApic = false;
            for (int i = 0; i < count; i++)
                if (state[i] == Pending && !cpus[i].IsX2Apic && Usable(cpus[i])) usableXApic = true;
            for (int i = 0; usableXApic && i < count; i++)
                if (state[i] == Pending && cpus[i].IsX2Apic && cpus[i].ApicId < InvalidXApicId) { state[i] = Dropped; info.IgnoredX2ApicCount++; }
            if (info.IgnoredX2ApicCount > 0)
                warnings.Add(TextBuffer.Of($"MADT: {info.IgnoredX2ApicCount} x2APIC entries with APIC IDs below 255 beside usable local APIC entries; ignored (ACPI 5.2.12.12)"));

            // Enabled CPUs: the first entry for an APIC ID wins.
            for (int i = 0; i < count; i++)
            {
                if (state[i] != Pending || !cpus[i].Enabled) continue;
                state[i] = IndexOf(cpus, state, i, cpus[i].ApicId, enabledOnly: true) >= 0 ? Dropped : Kept;
                if (state[i] == Dropped) warnings.Add(CpuLine(cpus[i], "repeats the APIC ID of an earlier enabled CPU; the first is kept"));
            }

            // Not enabled: an entry reusing another CPU entry's APIC ID never adds a CPU nor overrides the enabled one.
            int duplicates = 0;
            for (int i = 0; i < count; i++)
            {
                if (state[i] != Pending) continue;
                int enabledTwin = IndexOf(cpus, state, count, cpus[i].ApicId, enabledOnly: true);
                int earlierTwin = IndexOf(cpus, state, i, cpus[i].ApicId, enabledOnly: false);
                state[i] = enabledTwin >= 0 || earlierTwin >= 0 ? Dropped : Kept;
                if (state[i] == Kept) continue;
                if (cpus[i].OnlineCapable) warnings.Add(CpuLine(cpus[i], "is a hot-plug slot with the APIC ID of another CPU entry; skipped"));
                else duplicates++;
            }
            if (duplicates > 0)
                warnings.Add(TextBuffer.Of($"MADT: {duplicates} disabled CPU entries reuse the APIC ID of another CPU entry; ignored"));
            info.IgnoredDisabledCount += duplicates;

            // The limit applies to CPUs the kernel may run: enabled ones and hot-plug slots.
            if (maxCpus < 1) maxCpus = 1;
            int usable = 0;
            for (int i = 0; i < count; i++)
                if (state[i] == Kept && Usable(cpus[i])) usable++;
            if (usable > maxCpus)
            {
                var chosen = new bool[count];
                int budget = maxCpus;
                for (int i = 0; i < count && budget > 0; i++)
                    if (state[i] == Kept && cpus[i].Enabled && cpus[i].ApicId == bootApicId && bootApicId != UnknownApicId) { chosen[i] = true; budget--; }
                for (int i = 0; i < count && budget > 0; i++)
                    if (state[i] == Kept && cpus[i].Enabled && !chosen[i]) { chosen[i] = true; budget--; }
                for (int i = 0; i < count && budget > 0; i++)
                    if (state[i] == Kept && cpus[i].OnlineCapable) { chosen[i] = true; budget--; }
                for (int i = 0; i < count; i++)
                    if (state[i] == Kept && Usable(cpus[i]) && !chosen[i]) { state[i] = Dropped; info.DroppedOverLimitCount++; }

                warnings.Add(TextBuffer.Of($"MADT: {usable} usable CPUs, more than the limit of {maxCpus}; kept the boot CPU, then enabled CPUs, then hot-plug slots in table order; dropped {info.DroppedOverLimitCount}"));
            }

            int kept = 0;
            for (int i = 0; i < count; i++)
                if (state[i] == Kept) kept++;
            var result = new MadtCpu[kept];
            int next = 0;
            for (int i = 0; i < count; i++)
            {
                if (state[i] != Kept) continue;
                var cpu = cpus[i];
                cpu.IsBootCpu = cpu.Enabled && bootApicId != UnknownApicId && cpu.ApicId == bootApicId;
                if (cpu.IsBootCpu) info.BootCpuListed = true;
                if (cpu.Enabled) info.BootCpuCount++;
                else if (cpu.OnlineCapable) info.HotplugSlotCount++;
                else info.DisabledCount++;
                result[next++] = cpu;
            }

            if (info.BootCpuCount == 0)
                warnings.Add("MADT: no enabled CPU; the boot CPU runs alone");
            else if (bootApicId != UnknownApicId && !info.BootCpuListed)
            {
                warnings.Add(TextBuffer.Of($"MADT: the boot CPU (APIC ID {bootApicId}) is not among the enabled CPUs"));
            }
            return result;
        }

        private const byte Pending = 0, Kept = 1, Dropped = 2;

        private static bool Usable(MadtCpu cpu) => cpu.Enabled || cpu.OnlineCapable;

        /// <summary>The first kept entry before <paramref name="before"/> with this APIC ID, or -1. Type-0 and type-9 entries share
        /// one ID space (§5.2.12.12: a CPU with an APIC ID below 255 is described by a type-0 entry).</summary>
        private static int IndexOf(MadtCpu[] cpus, byte[] state, int before, uint apicId, bool enabledOnly)
        {
            for (int j = 0; j < before; j++)
                if (state[j] == Kept && cpus[j].ApicId == apicId && (!enabledOnly || cpus[j].Enabled)) return j;
            return -1;
        }

        private static string CpuLine(MadtCpu cpu, string what) =>
            TextBuffer.Of($"MADT {(cpu.IsX2Apic ? "x2APIC" : "local APIC")} CPU entry (APIC ID {cpu.ApicId}, UID {cpu.Uid}) {what}");
    }
}

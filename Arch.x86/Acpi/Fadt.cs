using Kernel.Lib;

namespace Kernel.Arch.Acpi
{
    /// <summary>Generic Address Structure (ACPI 6.5 §5.2.3.2, Table 5.1).</summary>
    public struct GenericAddress
    {
        public const byte SystemMemory = 0, SystemIo = 1, PciConfiguration = 2;   // Address Space ID values (Table 5.1)

        public byte SpaceId;
        public byte BitWidth;
        public byte BitOffset;
        public byte AccessSize;       // 0 undefined, 1 byte, 2 word, 3 dword, 4 qword
        public ulong Address;

        public bool IsIo => SpaceId == SystemIo;
    }

    /// <summary>The FADT fields the kernel uses. The *Port fields are the resolved I/O ports, 0 when absent.</summary>
    public sealed class FadtInfo
    {
        public AcpiTableStatus Status;
        public string Error;                  // null when Valid
        public AcpiTableHeader Header;

        public uint Dsdt;                     // DSDT: 32-bit physical address
        public ulong XDsdt;                   // X_DSDT: 64-bit physical address (ACPI 2.0+), 0 when absent
        public ulong DsdtAddress;             // resolved: X_DSDT when non-zero, else DSDT

        public ushort SciInterrupt;           // SCI_INT: an ISA IRQ number when the platform has dual 8259s
        public uint SmiCommandPort;           // SMI_CMD: 0 means the platform has no SMI mode switch (hardware-reduced or already ACPI)
        public byte AcpiEnable, AcpiDisable;

        // The 32-bit fields as written (ACPI 1.0 onward).
        public uint Pm1aEventBlock, Pm1aControlBlock, Pm1bControlBlock, PmTimerBlock, Gpe0Block;
        public byte Pm1EventLength, Pm1ControlLength, PmTimerLength, Gpe0BlockLength;

        public uint Flags;
        public bool PmTimer32Bit => (Flags & (1u << 8)) != 0;       // TMR_VAL_EXT (Table 5.10)
        public bool ResetRegisterSupported => (Flags & (1u << 10)) != 0;   // RESET_REG_SUP (Table 5.10)
        public bool HardwareReduced => (Flags & (1u << 20)) != 0;         // HW_REDUCED_ACPI (Table 5.10): no PM1 blocks

        public ushort IaPcBootArch;           // §5.2.9.3; reserved (read as written) before ACPI 2.0
        public bool HasLegacyDevices => (IaPcBootArch & (1 << 0)) != 0;   // LEGACY_DEVICES
        public bool Has8042 => (IaPcBootArch & (1 << 1)) != 0;            // 8042

        public bool HasResetRegister;         // the table is long enough to hold RESET_REG and RESET_VALUE (ACPI 2.0+)
        public GenericAddress ResetRegister;
        public byte ResetValue;

        public bool HasExtendedBlocks;        // the table is long enough to hold the X_ blocks below (ACPI 2.0+)
        public GenericAddress XPm1aEventBlock, XPm1aControlBlock, XPm1bControlBlock, XPmTimerBlock, XGpe0Block;

        // Resolved: the X_ block when it is non-zero and in I/O space, else the 32-bit one.
        public uint Pm1aEventPort, Pm1aControlPort, Pm1bControlPort, PmTimerPort, Gpe0Port;

        public string[] Warnings = new string[0];
    }

    /// <summary>
    /// The Fixed ACPI Description Table, signature "FACP" (ACPI 6.5 §5.2.9, Table 5.9). ACPI 1.0 tables end
    /// at Flags (116 bytes); RESET_REG and the 64-bit X_ blocks are read only when Length reaches them.
    /// Pure: compiled by the host tests and tools/AcpiTool too.
    /// </summary>
    public static unsafe class Fadt
    {
        public const uint V1Size = 116;

        // Offsets in Table 5.9.
        private const uint DsdtOffset = 40, SciIntOffset = 46, SmiCmdOffset = 48, AcpiEnableOffset = 52, AcpiDisableOffset = 53,
                           Pm1aEvtOffset = 56, Pm1aCntOffset = 64, Pm1bCntOffset = 68, PmTmrOffset = 76, Gpe0Offset = 80,
                           Pm1EvtLenOffset = 88, Pm1CntLenOffset = 89, PmTmrLenOffset = 91, Gpe0LenOffset = 92,
                           IaPcBootArchOffset = 109, FlagsOffset = 112, ResetRegOffset = 116, ResetValueOffset = 128,
                           XDsdtOffset = 140, XPm1aEvtOffset = 148, XPm1aCntOffset = 172, XPm1bCntOffset = 184, XPmTmrOffset = 208, XGpe0Offset = 220;
        private const uint GasSize = 12;
        private const ulong MaxPort = 0xFFFF;

        public static FadtInfo Parse(byte* table, ulong available)
        {
            var info = new FadtInfo();
            info.Status = AcpiTable.ValidateAs(table, available, "FACP", V1Size, out info.Header, out info.Error);
            if (info.Status != AcpiTableStatus.Valid && info.Status != AcpiTableStatus.BadChecksum) return info;

            uint length = info.Header.Length;
            info.Dsdt = *(uint*)(table + DsdtOffset);
            info.SciInterrupt = *(ushort*)(table + SciIntOffset);
            info.SmiCommandPort = *(uint*)(table + SmiCmdOffset);
            info.AcpiEnable = table[AcpiEnableOffset];
            info.AcpiDisable = table[AcpiDisableOffset];
            info.Pm1aEventBlock = *(uint*)(table + Pm1aEvtOffset);
            info.Pm1aControlBlock = *(uint*)(table + Pm1aCntOffset);
            info.Pm1bControlBlock = *(uint*)(table + Pm1bCntOffset);
            info.PmTimerBlock = *(uint*)(table + PmTmrOffset);
            info.Gpe0Block = *(uint*)(table + Gpe0Offset);
            info.Pm1EventLength = table[Pm1EvtLenOffset];
            info.Pm1ControlLength = table[Pm1CntLenOffset];
            info.PmTimerLength = table[PmTmrLenOffset];
            info.Gpe0BlockLength = table[Gpe0LenOffset];
            info.IaPcBootArch = *(ushort*)(table + IaPcBootArchOffset);
            info.Flags = *(uint*)(table + FlagsOffset);

            if (length >= ResetValueOffset + 1)
            {
                info.HasResetRegister = true;
                info.ResetRegister = ReadGas(table + ResetRegOffset);
                info.ResetValue = table[ResetValueOffset];
            }
            if (length >= XDsdtOffset + 8) info.XDsdt = *(ulong*)(table + XDsdtOffset);
            if (length >= XGpe0Offset + GasSize)
            {
                info.HasExtendedBlocks = true;
                info.XPm1aEventBlock = ReadGas(table + XPm1aEvtOffset);
                info.XPm1aControlBlock = ReadGas(table + XPm1aCntOffset);
                info.XPm1bControlBlock = ReadGas(table + XPm1bCntOffset);
                info.XPmTimerBlock = ReadGas(table + XPmTmrOffset);
                info.XGpe0Block = ReadGas(table + XGpe0Offset);
            }

            var warnings = new AcpiWarnings();
            info.DsdtAddress = ResolveDsdt(info.Dsdt, info.XDsdt, warnings);
            info.Pm1aEventPort = Resolve("PM1a_EVT_BLK", info.Pm1aEventBlock, info.HasExtendedBlocks, info.XPm1aEventBlock, warnings);
            info.Pm1aControlPort = Resolve("PM1a_CNT_BLK", info.Pm1aControlBlock, info.HasExtendedBlocks, info.XPm1aControlBlock, warnings);
            info.Pm1bControlPort = Resolve("PM1b_CNT_BLK", info.Pm1bControlBlock, info.HasExtendedBlocks, info.XPm1bControlBlock, warnings);
            info.PmTimerPort = Resolve("PM_TMR_BLK", info.PmTimerBlock, info.HasExtendedBlocks, info.XPmTimerBlock, warnings);
            info.Gpe0Port = Resolve("GPE0_BLK", info.Gpe0Block, info.HasExtendedBlocks, info.XGpe0Block, warnings);
            // §5.2.9 Table 5.9: PM_TMR_LEN is 4 when the timer is supported, 0 when it is not.
            if (info.PmTimerPort != 0 && info.PmTimerLength != 4 && info.PmTimerLength != 0)
                warnings.Add(TextBuffer.Of($"FADT: PM_TMR_LEN is {info.PmTimerLength}, not 4"));
            if (info.ResetRegisterSupported && info.HasResetRegister && info.ResetRegister.BitWidth != 8)
                warnings.Add(TextBuffer.Of($"FADT: RESET_REG is {info.ResetRegister.BitWidth} bits wide, not 8"));   // §4.8.3.6
            info.Warnings = warnings.ToArray();
            return info;
        }

        // Table 5.9, X_DSDT: "If this field contains a nonzero value ... then the DSDT field must be ignored".
        private static ulong ResolveDsdt(uint legacy, ulong extended, AcpiWarnings warnings)
        {
            if (extended == 0) return legacy;
            if (legacy != 0 && legacy != extended) warnings.Add("FADT: X_DSDT and DSDT differ; using X_DSDT");
            return extended;
        }

        // §5.2.9: "If the X_ field is non-zero, OSPM must use it and ignore the 32-bit field." The kernel reaches
        // these blocks with port I/O, so an X_ block in memory space falls back to the 32-bit port.
        private static uint Resolve(string name, uint legacy, bool hasExtended, GenericAddress extended, AcpiWarnings warnings)
        {
            if (!hasExtended || extended.Address == 0) return legacy;
            if (!extended.IsIo)
            {
                warnings.Add(TextBuffer.Of($"FADT: X_{name} is not in system I/O space; using {name}"));
                return legacy;
            }
            if (extended.Address > MaxPort)
            {
                warnings.Add(TextBuffer.Of($"FADT: X_{name} is beyond the 16-bit I/O space; using {name}"));
                return legacy;
            }
            if (legacy != 0 && legacy != extended.Address)
                warnings.Add(TextBuffer.Of($"FADT: X_{name} and {name} differ; using X_{name}"));
            return (uint)extended.Address;
        }

        private static GenericAddress ReadGas(byte* gas) => new GenericAddress
        {
            SpaceId = gas[0], BitWidth = gas[1], BitOffset = gas[2], AccessSize = gas[3], Address = *(ulong*)(gas + 4),
        };
    }
}

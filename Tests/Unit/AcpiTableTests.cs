using System.Buffers.Binary;
using Kernel.Arch.Acpi;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>The ACPI header check, RSDP, RSDT/XSDT and FADT parsers (ACPI 6.5 §5.2.5–§5.2.9).</summary>
public unsafe class AcpiTableTests
{
    private static byte* Place(byte[] bytes) => AcpiTestTables.Guarded.Place(bytes);

    // --- header (§5.2.6)

    [Test]
    public void A_valid_header_is_read_field_by_field()
    {
        var status = AcpiTable.Validate(Place(AcpiTestTables.QemuQ35Madt), 144, out var header, out var error);
        Assert.That(status, Is.EqualTo(AcpiTableStatus.Valid));
        Assert.That(error, Is.Null);
        Assert.That((header.SignatureText, header.Length, header.Revision, header.OemId, header.OemTableId, header.OemRevision),
                    Is.EqualTo(("APIC", 144u, (byte)1, "BOCHS ", "BXPC    ", 1u)));
        Assert.That(header.Signature, Is.EqualTo(0x43495041u));
    }

    [Test]
    public void Header_problems_have_their_own_status()
    {
        var table = (byte[])AcpiTestTables.QemuQ35Madt.Clone();
        Assert.That(AcpiTable.Validate(Place(table[..35]), 35, out _, out var e1), Is.EqualTo(AcpiTableStatus.Truncated));
        Assert.That(e1, Does.Contain("header does not fit"));
        Assert.That(AcpiTable.Validate(Place(table[..100]), 100, out _, out var e2), Is.EqualTo(AcpiTableStatus.Truncated));
        Assert.That(e2, Does.Contain("runs past"));
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(4), 20);
        Assert.That(AcpiTable.Validate(Place(table), (ulong)table.Length, out _, out var e3), Is.EqualTo(AcpiTableStatus.TooShort));
        Assert.That(e3, Does.Contain("shorter than its own 36-byte header"));
        table = (byte[])AcpiTestTables.QemuQ35Madt.Clone();
        table[100] ^= 1;
        Assert.That(AcpiTable.Validate(Place(table), (ulong)table.Length, out _, out var e4), Is.EqualTo(AcpiTableStatus.BadChecksum));
        Assert.That(e4, Is.EqualTo("APIC table: checksum mismatch (bytes sum to 0x01, not 0)"));
        Assert.That(AcpiTable.Validate(null, 100, out _, out _), Is.EqualTo(AcpiTableStatus.Truncated));
    }

    [Test]
    public void Signatures_compare_four_characters()
    {
        byte* table = Place(AcpiTestTables.QemuQ35Fadt);
        Assert.That(AcpiTable.HasSignature(table, 244, "FACP"), Is.True);
        Assert.That(AcpiTable.HasSignature(table, 244, "APIC"), Is.False);
        Assert.That(AcpiTable.HasSignature(table, 3, "FACP"), Is.False);
        Assert.That(AcpiTable.HasSignature(table, 244, "FAC"), Is.False);
    }

    // --- RSDP (§5.2.5.3)

    [Test]
    public void QEMUs_real_ACPI_1_RSDP_gives_the_RSDT()
    {
        Assert.That(Rsdp.Parse(Place(AcpiTestTables.QemuPcRsdp), 20, out var info, out var error), Is.True, error);
        Assert.That((info.Revision, info.RsdtAddress, info.XsdtAddress, info.RootIsXsdt, info.RootTableAddress, info.OemId),
                    Is.EqualTo(((byte)0, 0x01FE1B60u, 0UL, false, 0x01FE1B60UL, "BOCHS ")));
    }

    [Test]
    public void A_revision_2_RSDP_prefers_the_XSDT()
    {
        Assert.That(Rsdp.Parse(Place(AcpiTestTables.Rsdp(2, 0x1000, 0x1_0000_2000)), 36, out var info, out _), Is.True);
        Assert.That((info.Length, info.RootIsXsdt, info.RootTableAddress, info.RsdtAddress), Is.EqualTo((36u, true, 0x1_0000_2000UL, 0x1000u)));
    }

    [Test]
    public void A_revision_2_RSDP_with_a_null_XSDT_falls_back_to_the_RSDT()
    {
        Assert.That(Rsdp.Parse(Place(AcpiTestTables.Rsdp(2, 0x1000, 0)), 36, out var info, out _), Is.True);
        Assert.That((info.RootIsXsdt, info.RootTableAddress), Is.EqualTo((false, 0x1000UL)));
    }

    [Test]
    public void A_revision_2_RSDP_cut_to_20_bytes_yields_the_RSDT()
    {
        // Multiboot2 tag 14 holds the first 20 bytes even when Revision says 2.
        var rsdp = AcpiTestTables.Rsdp(2, 0x1000, 0x2000)[..20];
        Assert.That(Rsdp.Parse(Place(rsdp), 20, out var info, out _), Is.True);
        Assert.That((info.Revision, info.Length, info.RootIsXsdt, info.RootTableAddress), Is.EqualTo(((byte)2, 20u, false, 0x1000UL)));
    }

    [TestCase(8, "checksum over the first 20 bytes")]
    [TestCase(32, "extended checksum")]
    [TestCase(0, "signature")]
    public void A_corrupt_RSDP_is_rejected(int offset, string message)
    {
        var rsdp = AcpiTestTables.Rsdp(2, 0x1000, 0x2000);
        rsdp[offset] ^= 0x40;
        Assert.That(Rsdp.Parse(Place(rsdp), 36, out _, out var error), Is.False);
        Assert.That(error, Does.Contain(message));
    }

    [TestCase(30u, "below 36")]
    [TestCase(40u, "runs past")]
    public void A_revision_2_RSDP_with_a_bad_Length_is_rejected(uint length, string message)
    {
        var rsdp = AcpiTestTables.Rsdp(2, 0x1000, 0x2000);
        BinaryPrimitives.WriteUInt32LittleEndian(rsdp.AsSpan(20), length);
        rsdp[8] = 0;
        rsdp[8] = AcpiTestTables.Complement(rsdp.AsSpan(0, 20));
        Assert.That(Rsdp.Parse(Place(rsdp), 36, out _, out var error), Is.False);
        Assert.That(error, Does.Contain(message));
    }

    [Test]
    public void An_RSDP_without_any_root_address_is_rejected()
    {
        Assert.That(Rsdp.Parse(Place(AcpiTestTables.Rsdp(0, 0)), 20, out _, out var error), Is.False);
        Assert.That(error, Does.Contain("neither an RSDT nor an XSDT"));
        Assert.That(Rsdp.Parse(Place(AcpiTestTables.QemuPcRsdp), 19, out _, out _), Is.False);
    }

    [Test]
    public void The_BIOS_area_scan_finds_the_first_valid_RSDP_on_a_16_byte_boundary()
    {
        var area = new byte[0x20000];
        var broken = AcpiTestTables.Rsdp(0, 0x1234);
        broken[8] ^= 1;
        broken.CopyTo(area, 0x100);                                  // bad checksum: passed over
        AcpiTestTables.QemuPcRsdp.CopyTo(area, 0x208);               // not on a 16-byte boundary: not seen
        AcpiTestTables.QemuPcRsdp.CopyTo(area, 0x159D0);             // where SeaBIOS put it in 0xE0000–0xFFFFF
        AcpiTestTables.Rsdp(0, 0x4321).CopyTo(area, 0x18000);
        Assert.That(Rsdp.FindInBiosArea(Place(area), (uint)area.Length), Is.EqualTo(0x159D0));
        Assert.That(Rsdp.FindInBiosArea(Place(area[..0x159E0]), 0x159E0), Is.EqualTo(-1), "a copy cut short by the end of the area");
        Assert.That(Rsdp.FindInBiosArea(Place(new byte[1024]), 1024), Is.EqualTo(-1));
        Assert.That(Rsdp.FindInBiosArea(Place(AcpiTestTables.QemuPcRsdp), 20), Is.EqualTo(0));
    }

    // --- RSDT / XSDT (§5.2.7, §5.2.8)

    [Test]
    public void QEMUs_real_RSDT_lists_five_tables()
    {
        var root = RootTable.Parse(Place(AcpiTestTables.QemuQ35Rsdt), 56);
        Assert.That((root.Status, root.IsXsdt), Is.EqualTo((AcpiTableStatus.Valid, false)));
        Assert.That(root.Entries, Is.EqualTo(new ulong[] { 0x1FE2133, 0x1FE2227, 0x1FE22B7, 0x1FE22EF, 0x1FE232B }));
        Assert.That(root.Warnings, Is.Empty);
    }

    [Test]
    public void An_XSDT_has_64_bit_entries()
    {
        var table = AcpiTestTables.RootTable(xsdt: true, 0x1_0000_0000, 0xFEDC_BA98_7654_3210);
        var root = RootTable.Parse(Place(table), (ulong)table.Length);
        Assert.That((root.Status, root.IsXsdt), Is.EqualTo((AcpiTableStatus.Valid, true)));
        Assert.That(root.Entries, Is.EqualTo(new ulong[] { 0x1_0000_0000, 0xFEDC_BA98_7654_3210 }));
    }

    [Test]
    public void A_ragged_entry_array_is_truncated_with_a_warning()
    {
        var table = AcpiTestTables.Table("XSDT", 1, [.. MadtBuilder.U64(0x1000), .. MadtBuilder.U64(0x2000), 1, 2, 3, 4]);
        var root = RootTable.Parse(Place(table), (ulong)table.Length);
        Assert.That(root.Entries, Is.EqualTo(new ulong[] { 0x1000, 0x2000 }));
        Assert.That(root.Warnings, Has.Exactly(1).Contains("20 bytes of entries is not a whole number of 8-byte addresses"));
    }

    [Test]
    public void Null_entries_are_skipped_and_a_bad_checksum_still_yields_the_entries()
    {
        var table = AcpiTestTables.RootTable(xsdt: false, 0x1000, 0, 0x3000);
        table[9] ^= 0xFF;
        var root = RootTable.Parse(Place(table), (ulong)table.Length);
        Assert.That(root.Status, Is.EqualTo(AcpiTableStatus.BadChecksum));
        Assert.That(root.Entries, Is.EqualTo(new ulong[] { 0x1000, 0x3000 }));
        Assert.That(root.Warnings, Has.Exactly(1).Contains("null address"));
    }

    [Test]
    public void A_root_table_with_another_signature_is_rejected()
    {
        var root = RootTable.Parse(Place(AcpiTestTables.QemuQ35Madt), 144);
        Assert.That(root.Status, Is.EqualTo(AcpiTableStatus.WrongSignature));
        Assert.That(root.Entries, Is.Empty);
    }

    // --- FADT (§5.2.9)

    [Test]
    public void QEMUs_real_q35_FADT_revision_3()
    {
        var fadt = Fadt.Parse(Place(AcpiTestTables.QemuQ35Fadt), 244);
        Assert.That(fadt.Status, Is.EqualTo(AcpiTableStatus.Valid));
        Assert.That((fadt.SciInterrupt, fadt.SmiCommandPort, fadt.AcpiEnable, fadt.AcpiDisable), Is.EqualTo(((ushort)9, 0xB2u, (byte)0x02, (byte)0x03)));
        Assert.That((fadt.Pm1aEventPort, fadt.Pm1aControlPort, fadt.PmTimerPort, fadt.Gpe0Port), Is.EqualTo((0x600u, 0x604u, 0x608u, 0x620u)));
        Assert.That((fadt.Pm1EventLength, fadt.Pm1ControlLength, fadt.PmTimerLength, fadt.Gpe0BlockLength), Is.EqualTo(((byte)4, (byte)2, (byte)4, (byte)16)));
        Assert.That(fadt.PmTimer32Bit, Is.False);
        Assert.That((fadt.IaPcBootArch, fadt.Has8042, fadt.HasLegacyDevices), Is.EqualTo(((ushort)2, true, false)));
        Assert.That(fadt.HasResetRegister, Is.True);
        Assert.That(fadt.ResetRegisterSupported, Is.True);
        Assert.That((fadt.ResetRegister.SpaceId, fadt.ResetRegister.Address, fadt.ResetValue), Is.EqualTo((GenericAddress.SystemIo, 0xCF9UL, (byte)0x0F)));
        Assert.That(fadt.HasExtendedBlocks, Is.True);
        Assert.That((fadt.XPmTimerBlock.IsIo, fadt.XPmTimerBlock.Address, fadt.XPmTimerBlock.BitWidth), Is.EqualTo((true, 0x608UL, (byte)32)));
        Assert.That(fadt.XGpe0Block.BitWidth, Is.EqualTo(128));
        Assert.That((fadt.Dsdt, fadt.XDsdt, fadt.DsdtAddress), Is.EqualTo((0x1FE0040u, 0x1FE0040UL, 0x1FE0040UL)));
        Assert.That((fadt.Pm1bControlBlock, fadt.Pm1bControlPort, fadt.XPm1bControlBlock.Address), Is.EqualTo((0u, 0u, 0UL)));
        Assert.That(fadt.HardwareReduced, Is.False);
        Assert.That(fadt.Warnings, Is.Empty);
    }

    [Test]
    public void QEMUs_real_pc_FADT_is_a_short_ACPI_1_table()
    {
        var fadt = Fadt.Parse(Place(AcpiTestTables.QemuPcFadt), 116);
        Assert.That((fadt.Status, fadt.Header.Length, fadt.Header.Revision), Is.EqualTo((AcpiTableStatus.Valid, 116u, (byte)1)));
        Assert.That((fadt.Pm1aEventPort, fadt.Pm1aControlPort, fadt.PmTimerPort, fadt.Gpe0Port, fadt.Gpe0BlockLength), Is.EqualTo((0x600u, 0x604u, 0x608u, 0xAFE0u, (byte)4)));
        Assert.That((fadt.SmiCommandPort, fadt.AcpiEnable), Is.EqualTo((0xB2u, (byte)0xF1)));
        Assert.That((fadt.HasResetRegister, fadt.HasExtendedBlocks), Is.EqualTo((false, false)));
        Assert.That((fadt.Dsdt, fadt.XDsdt, fadt.DsdtAddress, fadt.Pm1bControlPort), Is.EqualTo((0x1FE0040u, 0UL, 0x1FE0040UL, 0u)));
        Assert.That(fadt.Warnings, Is.Empty);
    }

    private static byte[] Q35FadtWith(Action<byte[]> change)
    {
        var table = (byte[])AcpiTestTables.QemuQ35Fadt.Clone();
        change(table);
        AcpiTestTables.FixChecksum(table);
        return table;
    }

    [Test]
    public void X_blocks_win_when_non_zero_and_in_IO_space()
    {
        var table = Q35FadtWith(t =>
        {
            BinaryPrimitives.WriteUInt32LittleEndian(t.AsSpan(76), 0);            // PM_TMR_BLK 0: only X_PM_TMR_BLK
            BinaryPrimitives.WriteUInt64LittleEndian(t.AsSpan(220 + 4), 0x640);   // X_GPE0_BLK differs from GPE0_BLK
            t[112 + 1] |= 1;                                                      // TMR_VAL_EXT
        });
        var fadt = Fadt.Parse(Place(table), (ulong)table.Length);
        Assert.That((fadt.PmTimerBlock, fadt.PmTimerPort, fadt.Gpe0Port, fadt.PmTimer32Bit), Is.EqualTo((0u, 0x608u, 0x640u, true)));
        Assert.That(fadt.Warnings, Has.Exactly(1).EqualTo("FADT: X_GPE0_BLK and GPE0_BLK differ; using X_GPE0_BLK"));
    }

    [Test]
    public void X_blocks_in_memory_space_or_beyond_16_bits_fall_back_to_the_32_bit_port()
    {
        var table = Q35FadtWith(t =>
        {
            t[208] = GenericAddress.SystemMemory;                                  // X_PM_TMR_BLK in memory space
            BinaryPrimitives.WriteUInt64LittleEndian(t.AsSpan(148 + 4), 0x1_0000); // X_PM1a_EVT_BLK beyond 0xFFFF
        });
        var fadt = Fadt.Parse(Place(table), (ulong)table.Length);
        Assert.That((fadt.PmTimerPort, fadt.Pm1aEventPort), Is.EqualTo((0x608u, 0x600u)));
        Assert.That(fadt.Warnings, Has.Length.EqualTo(2));
        Assert.That(fadt.Warnings, Has.Some.Contains("X_PM_TMR_BLK is not in system I/O space"));
        Assert.That(fadt.Warnings, Has.Some.Contains("X_PM1a_EVT_BLK is beyond the 16-bit I/O space"));
    }

    [Test]
    public void X_DSDT_wins_over_DSDT_and_PM1b_resolves_like_PM1a()
    {
        var table = Q35FadtWith(t =>
        {
            BinaryPrimitives.WriteUInt64LittleEndian(t.AsSpan(140), 0x1_2345_0000);   // X_DSDT above 4 GiB
            BinaryPrimitives.WriteUInt32LittleEndian(t.AsSpan(68), 0x640);           // PM1b_CNT_BLK
            t[184] = GenericAddress.SystemIo;                                        // X_PM1b_CNT_BLK, a different port
            BinaryPrimitives.WriteUInt64LittleEndian(t.AsSpan(184 + 4), 0x650);
        });
        var fadt = Fadt.Parse(Place(table), (ulong)table.Length);
        Assert.That((fadt.DsdtAddress, fadt.Pm1bControlBlock, fadt.Pm1bControlPort), Is.EqualTo((0x1_2345_0000UL, 0x640u, 0x650u)));
        Assert.That(fadt.Warnings, Is.EquivalentTo(new[]
        {
            "FADT: X_DSDT and DSDT differ; using X_DSDT",
            "FADT: X_PM1b_CNT_BLK and PM1b_CNT_BLK differ; using X_PM1b_CNT_BLK",
        }));
    }

    [Test]
    public void A_reset_register_that_is_not_8_bits_wide_is_a_warning()
    {
        var table = Q35FadtWith(t => t[116 + 1] = 16);
        var fadt = Fadt.Parse(Place(table), (ulong)table.Length);
        Assert.That(fadt.Warnings, Is.EqualTo(new[] { "FADT: RESET_REG is 16 bits wide, not 8" }));
    }

    [Test]
    public void A_FADT_between_ACPI_1_and_the_X_blocks_reads_only_what_is_there()
    {
        var table = AcpiTestTables.QemuQ35Fadt[..132];
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(4), 132);
        AcpiTestTables.FixChecksum(table);
        var fadt = Fadt.Parse(Place(table), 132);
        Assert.That((fadt.Status, fadt.HasResetRegister, fadt.HasExtendedBlocks, fadt.PmTimerPort), Is.EqualTo((AcpiTableStatus.Valid, true, false, 0x608u)));
    }

    [Test]
    public void A_FADT_shorter_than_ACPI_1_is_too_short()
    {
        var table = AcpiTestTables.QemuPcFadt[..100];
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(4), 100);
        AcpiTestTables.FixChecksum(table);
        var fadt = Fadt.Parse(Place(table), 100);
        Assert.That(fadt.Status, Is.EqualTo(AcpiTableStatus.TooShort));
        Assert.That(fadt.Error, Does.Contain("116"));
    }
}

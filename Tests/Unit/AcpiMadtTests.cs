using System.Buffers.Binary;
using Kernel.Arch.Acpi;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>The MADT parser (ACPI 6.5 §5.2.12) on QEMU's real tables and on tables built here entry by entry.</summary>
public unsafe class AcpiMadtTests
{
    private static MadtInfo Parse(byte[] table, uint bootApicId = 0, int maxCpus = 64, int? available = null)
    {
        var bytes = table.AsSpan(0, available ?? table.Length);
        return Madt.Parse(AcpiTestTables.Guarded.Place(bytes), (ulong)bytes.Length, bootApicId, maxCpus);
    }

    private static (uint ApicId, uint Uid, bool Enabled, bool OnlineCapable, bool X2Apic)[] Cpus(MadtInfo madt) =>
        madt.Cpus.Select(c => (c.ApicId, c.Uid, c.Enabled, c.OnlineCapable, c.IsX2Apic)).ToArray();

    private static void AssertQemuSmp1Maxcpus4(MadtInfo madt)
    {
        Assert.That(madt.Status, Is.EqualTo(AcpiTableStatus.Valid));
        Assert.That(madt.Error, Is.Null);
        Assert.That(madt.Header.Revision, Is.EqualTo(1));
        Assert.That(madt.LocalApicAddress, Is.EqualTo(0xFEE0_0000UL));
        Assert.That(madt.PcAtCompat, Is.True);
        Assert.That(Cpus(madt), Is.EqualTo(new[]
        {
            (0u, 0u, true, false, false), (1u, 1u, false, false, false), (2u, 2u, false, false, false), (3u, 3u, false, false, false),
        }));
        Assert.That(madt.Cpus[0].IsBootCpu, Is.True);
        Assert.That((madt.BootCpuCount, madt.HotplugSlotCount, madt.DisabledCount), Is.EqualTo((1, 0, 3)));
        Assert.That(madt.UseBootCpuOnly, Is.False);
        Assert.That(madt.BootCpuListed, Is.True);
        Assert.That(madt.IoApics.Select(i => (i.Id, i.Address, i.GsiBase)), Is.EqualTo(new[] { ((byte)0, 0xFEC0_0000u, 0u) }));
        Assert.That(madt.Overrides.Select(o => (o.Bus, o.SourceIrq, o.Gsi, o.Polarity, o.Trigger)), Is.EqualTo(new[]
        {
            ((byte)0, (byte)0, 2u, InterruptPolarity.BusDefault, InterruptTrigger.BusDefault),
            ((byte)0, (byte)5, 5u, InterruptPolarity.ActiveHigh, InterruptTrigger.Level),
            ((byte)0, (byte)9, 9u, InterruptPolarity.ActiveHigh, InterruptTrigger.Level),
            ((byte)0, (byte)10, 10u, InterruptPolarity.ActiveHigh, InterruptTrigger.Level),
            ((byte)0, (byte)11, 11u, InterruptPolarity.ActiveHigh, InterruptTrigger.Level),
        }));
        Assert.That(madt.NmiSources, Is.Empty);
        Assert.That(madt.LocalNmis.Select(n => (n.AllProcessors, n.Lint, n.IsX2Apic)), Is.EqualTo(new[] { (true, (byte)1, false) }));
        Assert.That(madt.Warnings, Is.Empty);
    }

    [Test]
    public void QEMUs_real_q35_table_for_smp1_maxcpus4() => AssertQemuSmp1Maxcpus4(Parse(AcpiTestTables.QemuQ35Madt));

    [Test]
    public void The_builder_reproduces_QEMUs_table_byte_for_byte()
    {
        var built = MadtBuilder.Qemu(present: 1, possible: 4).Build();
        AssertQemuSmp1Maxcpus4(Parse(built));
        Assert.That(built, Is.EqualTo(AcpiTestTables.QemuQ35Madt));
    }

    [Test]
    public void UIDs_and_APIC_IDs_stay_apart_with_sockets2_cores3()
    {
        var madt = Parse(AcpiTestTables.QemuQ35Sockets2Cores3Madt);
        Assert.That(madt.Cpus.Select(c => (c.Uid, c.ApicId, c.Enabled)), Is.EqualTo(new[]
        {
            (0u, 0u, true), (1u, 1u, true), (2u, 2u, false), (3u, 4u, false), (4u, 5u, false), (5u, 6u, false),
        }));
        Assert.That(madt.BootCpuCount, Is.EqualTo(2));
        Assert.That(madt.DisabledCount, Is.EqualTo(4));
    }

    [Test]
    public void Every_entry_type_is_decoded()
    {
        var table = new MadtBuilder()
            .LocalApic(uid: 0, apicId: 0, flags: 1)
            .LocalApic(uid: 1, apicId: 2, flags: 0b10)          // online capable: a hot-plug slot
            .IoApic(id: 3, address: 0xFEC0_0000, gsiBase: 0)
            .IoApic(id: 4, address: 0xFEC0_1000, gsiBase: 24)
            .Override(irq: 9, gsi: 20, flags: 0b1111)           // active low, level
            .NmiSource(flags: 0b0101, gsi: 23)                  // active high, edge
            .LocalNmi(uid: 1, flags: 0b0100, lint: 0)
            .AddressOverride(0x1_FEE0_0000)
            .X2Apic(apicId: 300, flags: 1, uid: 7)
            .X2ApicNmi(flags: 0, uid: 0xFFFF_FFFF, lint: 1)
            .Build();

        var madt = Parse(table);
        Assert.That(madt.Status, Is.EqualTo(AcpiTableStatus.Valid));
        Assert.That(madt.Warnings, Is.Empty);
        Assert.That(Cpus(madt), Is.EqualTo(new[] { (0u, 0u, true, false, false), (2u, 1u, false, true, false), (300u, 7u, true, false, true) }));
        Assert.That((madt.BootCpuCount, madt.HotplugSlotCount, madt.DisabledCount), Is.EqualTo((2, 1, 0)));
        Assert.That(madt.IoApics.Select(i => (i.Id, i.Address, i.GsiBase)), Is.EqualTo(new[] { ((byte)3, 0xFEC0_0000u, 0u), ((byte)4, 0xFEC0_1000u, 24u) }));
        Assert.That(madt.Overrides.Select(o => (o.SourceIrq, o.Gsi, o.Polarity, o.Trigger)),
                    Is.EqualTo(new[] { ((byte)9, 20u, InterruptPolarity.ActiveLow, InterruptTrigger.Level) }));
        Assert.That(madt.NmiSources.Select(n => (n.Gsi, n.Polarity, n.Trigger)), Is.EqualTo(new[] { (23u, InterruptPolarity.ActiveHigh, InterruptTrigger.Edge) }));
        Assert.That(madt.LocalNmis.Select(n => (n.Uid, n.AllProcessors, n.Lint, n.Trigger, n.IsX2Apic)), Is.EqualTo(new[]
        {
            (1u, false, (byte)0, InterruptTrigger.Edge, false), (0xFFFF_FFFFu, true, (byte)1, InterruptTrigger.BusDefault, true),
        }));
        Assert.That(madt.LocalApicAddressField, Is.EqualTo(0xFEE0_0000u));
        Assert.That(madt.LocalApicAddress, Is.EqualTo(0x1_FEE0_0000UL));
        Assert.That(madt.LocalApicAddressOverridden, Is.True);
    }

    [Test]
    public void Online_capable_is_reserved_when_enabled_is_set()
    {
        var madt = Parse(new MadtBuilder().LocalApic(0, 0, 0b11).Build());
        Assert.That((madt.Cpus[0].Enabled, madt.Cpus[0].OnlineCapable, madt.HotplugSlotCount), Is.EqualTo((true, false, 0)));
    }

    [Test]
    public void Unknown_reserved_and_OEM_entry_types_are_skipped_by_their_length()
    {
        var table = new MadtBuilder()
            .LocalApic(0, 0, 1)
            .Raw(0x7, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)   // Local SAPIC
            .Raw(0x30, 3, 0xAA)                                      // reserved
            .Raw(0x80, 5, 1, 2, 3)                                   // OEM
            .Raw(0xFF, 2)
            .LocalApic(1, 1, 1)
            .Build();
        var madt = Parse(table);
        Assert.That(madt.Cpus.Select(c => c.ApicId), Is.EqualTo(new[] { 0u, 1u }));
        Assert.That(madt.SkippedEntryCount, Is.EqualTo(4));
        Assert.That(madt.Warnings, Is.Empty);
        Assert.That(madt.Notes, Is.EqualTo(new[]
        {
            "MADT type-48 entry at offset 0x44 is a reserved type (Table 5.21); skipped by its length 3",
            "MADT type-128 entry at offset 0x47 is an OEM type (Table 5.21); skipped by its length 5",
            "MADT type-255 entry at offset 0x4c is an OEM type (Table 5.21); skipped by its length 2",
        }));
    }

    [Test]
    public void Every_reserved_and_OEM_type_is_skipped_by_its_length_even_when_it_hides_a_CPU_entry()
    {
        // ACPI 6.5 Table 5.21: 0x11–0x17 are LoongArch PICs (defined, unused here: no note), 0x18–0x7F reserved, 0x80–0xFF OEM.
        byte[] hidden = [0, 8, 5, 5, 1, 0, 0, 0];   // a type-0 entry inside the skipped one: must not become CPU 5
        for (int type = 0x11; type <= 0xFF; type++)
        {
            var madt = Parse(new MadtBuilder().LocalApic(0, 0, 1).Raw([(byte)type, 10, .. hidden]).LocalApic(1, 1, 1).Build());
            Assert.That(madt.Cpus.Select(c => c.ApicId), Is.EqualTo(new[] { 0u, 1u }), $"type 0x{type:x}");
            Assert.That((madt.SkippedEntryCount, madt.Warnings.Length), Is.EqualTo((1, 0)), $"type 0x{type:x}");
            string? note = type < 0x18 ? null : type < 0x80 ? "is a reserved type" : "is an OEM type";
            Assert.That(madt.Notes, note is null ? Is.Empty : Has.Exactly(1).Contains($"type-{type} entry at offset 0x34 {note}"), $"type 0x{type:x}");
        }
    }

    [Test]
    public void A_bad_checksum_is_the_verdict_and_the_table_is_still_parsed()
    {
        var table = MadtBuilder.Qemu(1, 4).Build();
        table[9] ^= 0x55;
        var madt = Parse(table);
        Assert.That(madt.Status, Is.EqualTo(AcpiTableStatus.BadChecksum));
        Assert.That(madt.Error, Does.Contain("checksum"));
        Assert.That(madt.Cpus, Has.Length.EqualTo(4));
        Assert.That(madt.BootCpuCount, Is.EqualTo(1));
    }

    [TestCase(20, AcpiTableStatus.Truncated)]
    [TestCase(100, AcpiTableStatus.Truncated)]
    public void A_truncated_table_yields_nothing_and_the_boot_CPU_alone(int available, AcpiTableStatus status)
    {
        var madt = Parse(MadtBuilder.Qemu(2, 4).Build(), available: available);
        Assert.That(madt.Status, Is.EqualTo(status));
        Assert.That(madt.Error, Is.Not.Null);
        Assert.That(madt.Cpus, Is.Empty);
        Assert.That(madt.UseBootCpuOnly, Is.True);
    }

    [Test]
    public void A_table_shorter_than_the_MADT_header_is_too_short()
    {
        var table = AcpiTestTables.Table("APIC", 1, new byte[4]);
        var madt = Parse(table);
        Assert.That(madt.Status, Is.EqualTo(AcpiTableStatus.TooShort));
        Assert.That(madt.Error, Does.Contain("44"));
    }

    [Test]
    public void Another_signature_is_rejected()
    {
        var madt = Parse(AcpiTestTables.QemuQ35Fadt);
        Assert.That(madt.Status, Is.EqualTo(AcpiTableStatus.WrongSignature));
        Assert.That(madt.Error, Does.Contain("FACP"));
    }

    [Test]
    public void An_entry_of_length_zero_stops_the_walk_and_keeps_what_came_before()
    {
        var madt = Parse(new MadtBuilder().LocalApic(0, 0, 1).Raw(0, 0, 0, 0, 0, 0, 0, 0).LocalApic(1, 1, 1).Build());
        Assert.That(madt.Cpus.Select(c => c.ApicId), Is.EqualTo(new[] { 0u }));
        Assert.That(madt.Warnings, Has.Exactly(1).Contains("offset 0x34 has length 0"));
    }

    [Test]
    public void An_entry_running_past_the_end_stops_the_walk()
    {
        var madt = Parse(new MadtBuilder().LocalApic(0, 0, 1).IoApic(0, 0xFEC0_0000, 0).Raw(1, 12, 1, 0, 0, 0).Build());
        Assert.That(madt.Cpus, Has.Length.EqualTo(1));
        Assert.That(madt.IoApics, Has.Length.EqualTo(1));
        Assert.That(madt.Warnings, Has.Exactly(1).Contains("runs past the end of the table"));
    }

    [Test]
    public void A_stray_last_byte_is_reported()
    {
        var madt = Parse(new MadtBuilder().LocalApic(0, 0, 1).Raw(0).Build());
        Assert.That(madt.Cpus, Has.Length.EqualTo(1));
        Assert.That(madt.Warnings, Has.Exactly(1).Contains("stray byte"));
    }

    [Test]
    public void A_known_entry_shorter_than_its_type_is_skipped_and_the_walk_goes_on()
    {
        var madt = Parse(new MadtBuilder().Raw(0, 6, 0, 0, 1, 0).LocalApic(1, 1, 1).Raw(9, 12, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0).Build());
        Assert.That(madt.Cpus.Select(c => c.ApicId), Is.EqualTo(new[] { 1u }));
        Assert.That(madt.Warnings, Has.Length.EqualTo(3));   // the two short entries, and boot CPU 0 missing
        Assert.That(madt.Warnings[0], Does.Contain("type-0 entry at offset 0x2c is 6 bytes, shorter than the 8"));
        Assert.That(madt.Warnings[1], Does.Contain("type-9").And.Contain("shorter than the 16"));
        Assert.That(madt.Warnings[2], Does.Contain("boot CPU (APIC ID 0) is not among the enabled CPUs"));
        Assert.That(madt.BootCpuListed, Is.False);
    }

    [Test]
    public void Zero_enabled_CPUs_means_the_boot_CPU_alone()
    {
        var madt = Parse(new MadtBuilder().LocalApic(0, 0, 0).LocalApic(1, 1, 0).IoApic(0, 0xFEC0_0000, 0).Build());
        Assert.That(madt.BootCpuCount, Is.Zero);
        Assert.That(madt.UseBootCpuOnly, Is.True);
        Assert.That(madt.DisabledCount, Is.EqualTo(2));
        Assert.That(madt.Warnings, Has.Exactly(1).Contains("no enabled CPU"));
        Assert.That(madt.IoApics, Has.Length.EqualTo(1));
    }

    [Test]
    public void A_duplicate_enabled_APIC_ID_keeps_the_first_entry()
    {
        var madt = Parse(new MadtBuilder().LocalApic(0, 0, 1).LocalApic(1, 3, 1).LocalApic(2, 3, 1).X2Apic(300, 1, 9).X2Apic(300, 1, 10).Build());
        Assert.That(madt.Cpus.Select(c => (c.ApicId, c.Uid)), Is.EqualTo(new[] { (0u, 0u), (3u, 1u), (300u, 9u) }));
        Assert.That(madt.Warnings, Has.Length.EqualTo(2));
        Assert.That(madt.Warnings, Has.All.Contains("repeats the APIC ID of an earlier enabled CPU"));
    }

    [Test]
    public void Disabled_entries_reusing_an_enabled_APIC_ID_add_no_CPU_override_nothing_and_give_one_warning()
    {
        // Real firmware: filler entries for absent sockets carrying a present CPU's ID, before or after it.
        var madt = Parse(new MadtBuilder().LocalApic(9, 1, 0).LocalApic(0, 0, 1).LocalApic(1, 1, 1).LocalApic(8, 0, 0).LocalApic(7, 0xFF, 0)
                                          .X2Apic(1, 0, 20).Build());
        Assert.That(madt.Cpus.Select(c => (c.ApicId, c.Uid, c.Enabled)), Is.EqualTo(new[] { (0u, 0u, true), (1u, 1u, true) }));
        Assert.That((madt.BootCpuCount, madt.DisabledCount, madt.HotplugSlotCount), Is.EqualTo((2, 0, 0)));
        Assert.That((madt.IgnoredDisabledCount, madt.IgnoredX2ApicCount), Is.EqualTo((3, 1)));
        Assert.That(madt.Warnings, Is.EqualTo(new[]
        {
            "MADT: 1 x2APIC entries with APIC IDs below 255 beside usable local APIC entries; ignored (ACPI 5.2.12.12)",
            "MADT: 2 disabled CPU entries reuse the APIC ID of another CPU entry; ignored",
        }));
        Assert.That(madt.Notes, Has.Exactly(1).Contains("1 disabled CPU entries with the invalid APIC ID"));
    }

    [Test]
    public void Disabled_entries_reusing_each_others_APIC_ID_keep_the_first()
    {
        var madt = Parse(new MadtBuilder().LocalApic(0, 0, 1).LocalApic(1, 4, 0).LocalApic(2, 4, 0).Build());
        Assert.That(madt.Cpus.Select(c => (c.ApicId, c.Uid)), Is.EqualTo(new[] { (0u, 0u), (4u, 1u) }));
        Assert.That((madt.DisabledCount, madt.IgnoredDisabledCount), Is.EqualTo((1, 1)));
        Assert.That(madt.Warnings, Has.Exactly(1).Contains("1 disabled CPU entries reuse the APIC ID"));
    }

    [Test]
    public void Disabled_x2APIC_placeholders_with_ID_0xFFFFFFFF_are_a_note_not_a_warning()
    {
        var madt = new MadtBuilder().LocalApic(0, 0, 1);
        for (uint uid = 1; uid <= 5; uid++) madt.X2Apic(0xFFFF_FFFF, 0, uid);
        var info = Parse(madt.Build());
        Assert.That(info.Cpus.Select(c => c.ApicId), Is.EqualTo(new[] { 0u }));
        Assert.That(info.IgnoredDisabledCount, Is.EqualTo(5));
        Assert.That(info.Warnings, Is.Empty);
        Assert.That(info.Notes, Is.EqualTo(new[] { "MADT: 5 disabled CPU entries with the invalid APIC ID (0xFF, x2APIC 0xFFFFFFFF) are placeholders; ignored" }));
    }

    [Test]
    public void An_x2APIC_entry_repeating_a_local_APIC_entrys_ID_is_ignored_wherever_it_stands()
    {
        // §5.2.12.12: CPUs with APIC IDs below 255 use type-0 entries; Linux ignores type-9 entries below 0xFF when
        // usable type-0 entries exist (arch/x86/kernel/acpi/boot.c, acpi_parse_x2apic), whatever the table order.
        var madt = Parse(new MadtBuilder().X2Apic(1, 1, 41).LocalApic(0, 0, 1).LocalApic(1, 1, 1).X2Apic(0, 1, 40).X2Apic(256, 1, 42).Build());
        Assert.That(madt.Cpus.Select(c => (c.ApicId, c.Uid, c.IsX2Apic)), Is.EqualTo(new[] { (0u, 0u, false), (1u, 1u, false), (256u, 42u, true) }));
        Assert.That(madt.IgnoredX2ApicCount, Is.EqualTo(2));
        Assert.That(madt.Warnings, Has.Exactly(1).Contains("2 x2APIC entries with APIC IDs below 255"));
    }

    [Test]
    public void Without_usable_local_APIC_entries_x2APIC_entries_with_low_IDs_are_the_CPUs()
    {
        // Firmware that runs in x2APIC mode may list every CPU as type 9; disabled type-0 entries do not count.
        var madt = Parse(new MadtBuilder().LocalApic(7, 7, 0).X2Apic(0, 1, 0).X2Apic(1, 1, 1).X2Apic(300, 0b10, 2).Build());
        Assert.That(madt.Cpus.Select(c => (c.ApicId, c.IsX2Apic)), Is.EqualTo(new[] { (7u, false), (0u, true), (1u, true), (300u, true) }));
        Assert.That((madt.BootCpuCount, madt.HotplugSlotCount, madt.DisabledCount, madt.IgnoredX2ApicCount), Is.EqualTo((2, 1, 1, 0)));
        Assert.That(madt.Warnings, Is.Empty);
    }

    [Test]
    public void More_usable_CPUs_than_the_kernels_64_keep_the_boot_CPU_then_enabled_ones_and_warn()
    {
        // Cpus.MaxCpus is 64 (one bit each in CpuSet): 200 enabled xAPIC CPUs, 100 x2APIC ones above 255, 10 hot-plug slots.
        var madt = new MadtBuilder();
        for (int id = 0; id < 200; id++) madt.LocalApic((byte)id, (byte)id, 1);
        for (uint id = 256; id < 356; id++) madt.X2Apic(id, 1, id);
        for (uint id = 400; id < 410; id++) madt.X2Apic(id, 0b10, id);
        var info = Parse(madt.Build(), bootApicId: 300, maxCpus: 64);
        Assert.That(info.Cpus, Has.Length.EqualTo(64));
        Assert.That(info.Cpus.Count(c => c.IsBootCpu), Is.EqualTo(1));
        Assert.That(info.Cpus.Take(63).Select(c => c.ApicId), Is.EqualTo(Enumerable.Range(0, 63).Select(i => (uint)i)));
        Assert.That(info.Cpus[63].ApicId, Is.EqualTo(300u));
        Assert.That((info.BootCpuCount, info.HotplugSlotCount, info.DroppedOverLimitCount), Is.EqualTo((64, 0, 246)));
        Assert.That(info.Warnings, Is.EqualTo(new[]
        {
            "MADT: 310 usable CPUs, more than the limit of 64; kept the boot CPU, then enabled CPUs, then hot-plug slots in table order; dropped 246",
        }));
    }

    [Test]
    public void An_online_capable_slot_reusing_an_APIC_ID_is_a_warning()
    {
        var madt = Parse(new MadtBuilder().LocalApic(0, 0, 1).LocalApic(1, 0, 0b10).Build());
        Assert.That(madt.HotplugSlotCount, Is.Zero);
        Assert.That(madt.Warnings, Has.Exactly(1).Contains("hot-plug slot with the APIC ID of another CPU"));
    }

    [Test]
    public void An_x2APIC_entry_with_ID_0xFFFFFFFF_is_skipped()
    {
        var madt = Parse(new MadtBuilder().LocalApic(0, 0, 1).X2Apic(0xFFFF_FFFF, 1, 5).X2Apic(0xFFFF_FFFF, 0, 6).Build());
        Assert.That(madt.Cpus.Select(c => c.ApicId), Is.EqualTo(new[] { 0u }));
        Assert.That(madt.Warnings, Is.EqualTo(new[] { "MADT x2APIC CPU entry (APIC ID 4294967295, UID 5) has the broadcast APIC ID, which names no CPU; skipped" }));
        Assert.That(madt.IgnoredDisabledCount, Is.EqualTo(1));
        Assert.That(madt.Notes, Has.Length.EqualTo(1));
    }

    [Test]
    public void Over_the_CPU_limit_the_boot_CPU_is_kept_even_when_listed_last()
    {
        var madt = new MadtBuilder();
        for (byte id = 0; id < 8; id++) madt.LocalApic(id, id, 1);
        madt.LocalApic(8, 8, 0b10);
        var info = Parse(madt.Build(), bootApicId: 7, maxCpus: 4);
        Assert.That(info.Cpus.Select(c => c.ApicId), Is.EqualTo(new[] { 0u, 1u, 2u, 7u }));
        Assert.That(info.Cpus.Single(c => c.IsBootCpu).ApicId, Is.EqualTo(7u));
        Assert.That((info.BootCpuCount, info.HotplugSlotCount, info.DroppedOverLimitCount), Is.EqualTo((4, 0, 5)));
        Assert.That(info.Warnings, Has.Exactly(1).Contains("9 usable CPUs, more than the limit of 4"));
    }

    [Test]
    public void Over_the_CPU_limit_enabled_CPUs_come_before_hot_plug_slots()
    {
        var info = Parse(new MadtBuilder().LocalApic(5, 5, 0b10).LocalApic(0, 0, 1).LocalApic(1, 1, 1).LocalApic(6, 6, 0b10).Build(), maxCpus: 3);
        Assert.That(info.Cpus.Select(c => (c.ApicId, c.Enabled)), Is.EqualTo(new[] { (5u, false), (0u, true), (1u, true) }));
        Assert.That(info.DroppedOverLimitCount, Is.EqualTo(1));
    }

    [Test]
    public void Plain_disabled_entries_do_not_count_against_the_limit()
    {
        var info = Parse(MadtBuilder.Qemu(present: 2, possible: 8).Build(), maxCpus: 2);
        Assert.That((info.BootCpuCount, info.DisabledCount, info.DroppedOverLimitCount), Is.EqualTo((2, 6, 0)));
        Assert.That(info.Warnings, Is.Empty);
    }

    [Test]
    public void An_unknown_boot_CPU_is_not_marked_or_required()
    {
        var info = Parse(AcpiTestTables.QemuQ35Madt, bootApicId: Madt.UnknownApicId);
        Assert.That(info.Cpus.Any(c => c.IsBootCpu), Is.False);
        Assert.That(info.Warnings, Is.Empty);
    }

    [Test]
    public void Only_the_first_local_APIC_address_override_counts()
    {
        var info = Parse(new MadtBuilder().LocalApic(0, 0, 1).AddressOverride(0).AddressOverride(0xFEE1_0000).AddressOverride(0xFEE2_0000).Build());
        Assert.That(info.LocalApicAddress, Is.EqualTo(0xFEE1_0000UL));
        Assert.That(info.Warnings, Has.Length.EqualTo(2));
        Assert.That(info.Warnings[0], Does.Contain("gives address 0"));
        Assert.That(info.Warnings[1], Does.Contain("second Local APIC Address Override"));
    }

    [Test]
    public void An_IO_APIC_at_address_0_and_a_LINT_beyond_1_are_skipped()
    {
        var info = Parse(new MadtBuilder().LocalApic(0, 0, 1).IoApic(2, 0, 0).LocalNmi(0xFF, 0, 2).Build());
        Assert.That(info.IoApics, Is.Empty);
        Assert.That(info.LocalNmis, Is.Empty);
        Assert.That(info.Warnings, Has.Length.EqualTo(2));
    }

    [Test]
    public void Warnings_are_capped_so_a_hostile_table_cannot_fill_the_heap()
    {
        var madt = new MadtBuilder();
        for (int i = 0; i < 200; i++) madt.Raw(0, 2);
        madt.LocalApic(0, 0, 1);
        var info = Parse(madt.Build());
        Assert.That(info.Warnings, Has.Length.EqualTo(33));
        Assert.That(info.Warnings[^1], Does.Contain("168 more warnings"));
        Assert.That(info.Cpus, Has.Length.EqualTo(1));
    }

    [Test]
    public void A_length_field_larger_than_the_buffer_is_truncation_not_an_overread()
    {
        var table = MadtBuilder.Qemu(1, 4).Build();
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(4), 0xFFFF_FFF0);
        Assert.That(Parse(table).Status, Is.EqualTo(AcpiTableStatus.Truncated));
    }
}

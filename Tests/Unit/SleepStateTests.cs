using System.Text;
using Kernel.Arch.Acpi;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>Finding \_Sx's SLP_TYP values in AML without an interpreter (ACPI 6.5 §7.4.2, §20.2), and the PM1 control value.</summary>
public unsafe class SleepStateTests
{
    private static SleepStateInfo Find(byte[] table, int state = 5, string signature = "DSDT") =>
        SleepState.Find(AcpiTestTables.Guarded.Place(table), (ulong)table.Length, signature, state);

    private static byte[] Dsdt(params byte[] aml) => AcpiTestTables.Table("DSDT", 2, aml);

    private static readonly byte[] S5Name = "_S5_"u8.ToArray();

    /// <summary>NameOp [prefix] _S5_ PackageOp PkgLength(1 byte) NumElements elements.</summary>
    private static byte[] S5(byte[] prefix, byte count, params byte[] elements) =>
        [0x08, .. prefix, .. S5Name, 0x12, (byte)(2 + elements.Length), count, .. elements];

    // A Scope and a Device before the package, as in real tables, so the search has something to skip.
    private static readonly byte[] Before = [0x10, 0x08, (byte)'\\', .. "_SB_"u8, 0x5B, 0x82, 0x05, .. "PCI0"u8];

    [TestCase("q35", 5, 0, 0, 7764)]
    [TestCase("pc", 5, 0, 0, 2890)]
    [TestCase("q35", 3, 1, 1, 7738)]   // Package (4) {One, One, Zero, Zero}
    [TestCase("pc", 4, 2, 2, 2876)]    // Package (4) {0x0A 02, 0x0A 02, Zero, Zero}
    public void QEMUs_real_DSDTs(string machine, int state, int a, int b, int offset)
    {
        var dsdt = machine == "q35" ? AcpiTestTables.QemuQ35Dsdt : AcpiTestTables.QemuPcDsdt;
        var info = Find(dsdt, state);
        Assert.That((info.Status, info.SlpTypA, info.SlpTypB, info.Offset, info.Error, info.Warning),
                    Is.EqualTo((SleepStateStatus.Found, (byte)a, (byte)b, (uint)offset, (string?)null, (string?)null)));
    }

    [Test]
    public void A_real_DSDT_has_no_S1_or_S2()
    {
        var info = Find(AcpiTestTables.QemuQ35Dsdt, 2);
        Assert.That((info.Status, info.Error), Is.EqualTo((SleepStateStatus.NotFound, "\\_S2 not found in the DSDT")));
    }

    [TestCase(new byte[0], TestName = "No prefix")]
    [TestCase(new byte[] { (byte)'\\' }, TestName = "Root prefix")]
    [TestCase(new byte[] { (byte)'^', (byte)'^' }, TestName = "Parent prefixes")]
    public void Every_integer_encoding_and_name_prefix(byte[] prefix)
    {
        // Word 5 and DWord 6; then QWord 7 and Byte 3 in a second package to cover the other prefixes.
        var first = Find(Dsdt([.. Before, .. S5(prefix, 4, 0x0B, 5, 0, 0x0C, 6, 0, 0, 0, 0x00, 0x00)]));
        Assert.That((first.Status, first.SlpTypA, first.SlpTypB), Is.EqualTo((SleepStateStatus.Found, (byte)5, (byte)6)));
        Assert.That(first.Offset, Is.EqualTo(36u + (uint)Before.Length));
        var second = Find(Dsdt(S5(prefix, 2, 0x0E, 7, 0, 0, 0, 0, 0, 0, 0, 0x0A, 3)));
        Assert.That((second.Status, second.SlpTypA, second.SlpTypB), Is.EqualTo((SleepStateStatus.Found, (byte)7, (byte)3)));
    }

    [Test]
    public void A_two_byte_PkgLength_is_decoded()
    {
        byte[] text = [0x0D, .. Encoding.ASCII.GetBytes(new string('x', 80)), 0x00];   // a String element makes it long
        byte[] elements = [0x0A, 5, 0x01, .. text];
        int length = 2 + 1 + elements.Length;                                            // PkgLength counts its own 2 bytes
        byte[] aml = [0x08, .. S5Name, 0x12, (byte)(0x40 | (length & 0xF)), (byte)(length >> 4), 3, .. elements, 0x08, .. "XYZW"u8, 0x00];
        var info = Find(Dsdt(aml));
        Assert.That((info.Status, info.SlpTypA, info.SlpTypB), Is.EqualTo((SleepStateStatus.Found, (byte)5, (byte)1)));
    }

    [Test]
    public void A_one_element_package_carries_both_values_like_ACPICA()
    {
        var info = Find(Dsdt(S5([], 1, 0x0B, 0x05, 0x06)));
        Assert.That((info.Status, info.SlpTypA, info.SlpTypB), Is.EqualTo((SleepStateStatus.Found, (byte)5, (byte)6)));
    }

    [Test]
    public void A_malformed_candidate_is_skipped_for_a_later_good_one()
    {
        var info = Find(Dsdt([.. S5([], 2, 0x70, 0x0A), .. S5([], 2, 0x01, 0x00)]));
        Assert.That((info.Status, info.SlpTypA, info.SlpTypB, info.Offset), Is.EqualTo((SleepStateStatus.Found, (byte)1, (byte)0, 36u + 10)));
    }

    [Test]
    public void A_missing_S5_is_not_found_with_a_clear_message()
    {
        var info = Find(Dsdt([.. Before, 0x08, .. "_S3_"u8, 0x12, 0x04, 0x02, 0x01, 0x01]), signature: "DSDT");
        Assert.That((info.Status, info.Error), Is.EqualTo((SleepStateStatus.NotFound, "\\_S5 not found in the DSDT")));
        var ssdt = AcpiTestTables.Table("SSDT", 2, [0x14, 0x08, .. S5Name, 0x00, 0xA4, 0x00]);   // Method (_S5) { Return (0) }
        Assert.That(Find(ssdt, signature: "SSDT").Error, Is.EqualTo("\\_S5 not found in the SSDT"));
        var bare = Find(Dsdt([.. S5Name, 0x12, 0x04, 0x02, 0x00, 0x00]));                        // no NameOp before it
        Assert.That(bare.Status, Is.EqualTo(SleepStateStatus.NotFound));
        var integer = Find(Dsdt([0x08, .. S5Name, 0x0A, 0x05]));                                   // Name (_S5, 5): no Package
        Assert.That(integer.Status, Is.EqualTo(SleepStateStatus.NotFound));
    }

    [TestCase(new byte[] { 0x08, 0x5F, 0x53, 0x35, 0x5F, 0x12 }, "truncated before its PkgLength", TestName = "Table ends at PackageOp")]
    [TestCase(new byte[] { 0x08, 0x5F, 0x53, 0x35, 0x5F, 0x12, 0x80, 0x01 }, "truncated inside its PkgLength", TestName = "Table ends in PkgLength")]
    [TestCase(new byte[] { 0x08, 0x5F, 0x53, 0x35, 0x5F, 0x12, 0x56, 0x00, 0x02, 0x00, 0x00 }, "reserved bits", TestName = "PkgLength reserved bits")]
    [TestCase(new byte[] { 0x08, 0x5F, 0x53, 0x35, 0x5F, 0x12, 0x01, 0x02, 0x00, 0x00 }, "too small", TestName = "PkgLength below NumElements")]
    [TestCase(new byte[] { 0x08, 0x5F, 0x53, 0x35, 0x5F, 0x12, 0x3F, 0x02, 0x00, 0x00 }, "runs past the end", TestName = "PkgLength past the table")]
    [TestCase(new byte[] { 0x08, 0x5F, 0x53, 0x35, 0x5F, 0x12, 0x02, 0x00 }, "empty Package", TestName = "No elements")]
    [TestCase(new byte[] { 0x08, 0x5F, 0x53, 0x35, 0x5F, 0x12, 0x04, 0x02, 0x00, 0x0C, 0x01 }, "element 1 is not", TestName = "DWord cut by the package end")]
    [TestCase(new byte[] { 0x08, 0x5F, 0x53, 0x35, 0x5F, 0x12, 0x03, 0x02, 0x00, 0x00 }, "element 1 is not", TestName = "Second element outside PkgLength")]
    [TestCase(new byte[] { 0x08, 0x5F, 0x53, 0x35, 0x5F, 0x12, 0x07, 0x02, 0x53, 0x4C, 0x50, 0x41, 0x00 }, "element 0 is not", TestName = "Element is a name")]
    [TestCase(new byte[] { 0x08, 0x5F, 0x53, 0x35, 0x5F, 0x12, 0x05, 0x02, 0x0A, 0x08, 0x00 }, "3-bit field", TestName = "SLP_TYP above 7")]
    [TestCase(new byte[] { 0x08, 0x5F, 0x53, 0x35, 0x5F, 0x12, 0x04, 0x02, 0xFF, 0x00 }, "3-bit field", TestName = "OnesOp")]
    public void Malformed_packages_are_reported_not_read_past(byte[] aml, string reason)
    {
        var info = Find(Dsdt(aml));
        Assert.That(info.Status, Is.EqualTo(SleepStateStatus.Malformed));
        Assert.That(info.Error, Does.StartWith("\\_S5 in the DSDT: ").And.Contain(reason));
        Assert.That((info.SlpTypA, info.SlpTypB), Is.EqualTo(((byte)0, (byte)0)));
    }

    [Test]
    public void Unusable_tables_are_bad_tables_and_a_bad_checksum_only_a_warning()
    {
        var good = Dsdt(S5([], 2, 0x01, 0x01));
        Assert.That(Find(good, signature: "SSDT").Status, Is.EqualTo(SleepStateStatus.BadTable));
        var truncated = Find(good[..30]);
        Assert.That((truncated.Status, truncated.Error), Is.EqualTo((SleepStateStatus.BadTable, "ACPI table header does not fit in the bytes supplied")));
        var longer = (byte[])good.Clone();
        longer[4] += 10;                                   // Length beyond the bytes supplied
        Assert.That(Find(longer).Status, Is.EqualTo(SleepStateStatus.BadTable));

        var badSum = (byte[])good.Clone();
        badSum[9] ^= 0xFF;
        var info = Find(badSum);
        Assert.That((info.Status, info.SlpTypA), Is.EqualTo((SleepStateStatus.Found, (byte)1)));
        Assert.That(info.Warning, Does.Contain("checksum mismatch"));
        Assert.That(Find(good, state: 6).Status, Is.EqualTo(SleepStateStatus.NotFound));
    }

    [Test]
    public void The_search_stays_inside_Length_even_with_bytes_after_it()
    {
        var table = Dsdt([.. Before]);
        byte[] withTail = [.. table, .. S5([], 2, 0x01, 0x01)];   // a valid _S5_ after Length must not be seen
        Assert.That(Find(withTail).Status, Is.EqualTo(SleepStateStatus.NotFound));
    }

    [TestCase((ushort)0x0000, (byte)5, (ushort)0x1400)]
    [TestCase((ushort)0x3C01, (byte)0, (ushort)0x0001)]   // old SLP_TYP and SLP_EN cleared, SCI_EN kept
    [TestCase((ushort)0xC207, (byte)7, (ushort)0xDE07)]   // reserved bits 15:14 and bit 9 preserved
    public void PM1_control_value_replaces_only_SLP_TYP_and_clears_SLP_EN(ushort current, byte slpTyp, ushort expected)
    {
        Assert.That(SleepState.Pm1ControlFor(current, slpTyp), Is.EqualTo(expected));
        Assert.That(SleepState.SleepEnable, Is.EqualTo(1 << 13));
    }
}

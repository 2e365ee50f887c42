using System.Text;
using System.Text.Json;
using AcpiTool;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>tools/AcpiTool end to end, called as a library (its command line lives in AcpiToolCli) on the sample dumps.</summary>
public class AcpiToolTests
{
    private static string Sample(string name) => AcpiTestTables.SamplePath(name);

    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = AcpiToolCli.Run(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>Runs the tool with <paramref name="contents"/> in a temporary file as the FILE after the verb.</summary>
    private static (int Exit, string Out, string Err) RunOnFile(byte[] contents, string verb, params string[] options)
    {
        string path = TempFile(contents);
        try { return Run([verb, path, .. options]); }
        finally { File.Delete(path); }
    }

    private static string TempFile(byte[] contents)
    {
        string path = Path.Combine(Path.GetTempPath(), $"acpitool-{Guid.NewGuid():N}");
        File.WriteAllBytes(path, contents);
        return path;
    }

    [Test]
    public void The_q35_acpidump_sample_prints_the_MADT()
    {
        var (exit, output, error) = Run("madt", Sample("qemu-q35-smp1-maxcpus4.acpidump"));
        Assert.That(exit, Is.EqualTo(0), error);
        Assert.That(output, Does.Contain("checksum: valid"));
        Assert.That(output, Does.Contain("local APIC address: 0xfee00000"));
        Assert.That(output, Does.Contain("CPUs: 1 enabled (started at boot), 0 online-capable (hot-plug slots), 3 disabled"));
        Assert.That(output, Does.Contain("ID 0 at 0xfec00000, GSI base 0"));
        Assert.That(output, Does.Contain("bus 0 IRQ 0 -> GSI 2"));
        Assert.That(output, Does.Contain("bus 0 IRQ 11 -> GSI 11, flags 0xd (active-high, level)"));
        Assert.That(output, Does.Contain("all processors: LINT1"));
        Assert.That(output, Does.Contain("warnings: none"));
    }

    [Test]
    public void JSON_output_is_one_object_with_everything()
    {
        var (exit, output, _) = Run("madt", Sample("qemu-q35-smp2-sockets2-cores3.acpidump"), "--json", "--boot-apic-id", "0");
        Assert.That(exit, Is.EqualTo(0));
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.That(root.GetProperty("format").GetString(), Is.EqualTo("acpidump"));
        Assert.That(root.GetProperty("table").GetProperty("checksumValid").GetBoolean(), Is.True);
        Assert.That(root.GetProperty("localApicAddress").GetUInt64(), Is.EqualTo(0xFEE0_0000UL));
        var cpus = root.GetProperty("cpus").EnumerateArray().Select(c => (c.GetProperty("uid").GetUInt32(), c.GetProperty("apicId").GetUInt32())).ToArray();
        Assert.That(cpus, Is.EqualTo(new[] { (0u, 0u), (1u, 1u), (2u, 2u), (3u, 4u), (4u, 5u), (5u, 6u) }));
        Assert.That(root.GetProperty("cpus")[0].GetProperty("bootCpu").GetBoolean(), Is.True);
        Assert.That(root.GetProperty("counts").GetProperty("enabled").GetInt32(), Is.EqualTo(2));
        Assert.That(root.GetProperty("interruptSourceOverrides")[1].GetProperty("trigger").GetString(), Is.EqualTo("level"));
        Assert.That(root.GetProperty("localApicNmis")[0].GetProperty("lint").GetInt32(), Is.EqualTo(1));
        Assert.That(root.GetProperty("warnings").GetArrayLength(), Is.Zero);
    }

    [Test]
    public void A_binary_table_as_acpixtract_writes_it_is_read_directly()
    {
        string path = TempFile(AcpiTestTables.QemuQ35Madt);
        try
        {
            var (exit, output, _) = Run("madt", path, "--max-cpus", "1");
            Assert.That(exit, Is.EqualTo(0));
            Assert.That(output, Does.Contain("CPUs: 1 enabled"));
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void A_fabricated_dump_with_a_bad_checksum_prints_the_verdict_and_the_warnings()
    {
        var madt = new MadtBuilder().LocalApic(0, 0, 1).LocalApic(1, 0, 1).X2Apic(0xFFFF_FFFF, 1, 2).Build();
        madt[9] ^= 1;
        string path = TempFile(Encoding.ASCII.GetBytes(AcpiDump(("FACP", AcpiTestTables.QemuPcFadt), ("APIC", madt))));
        try
        {
            var (exit, output, _) = Run("madt", path);
            Assert.That(exit, Is.EqualTo(0));
            Assert.That(output, Does.Contain("checksum: BadChecksum: APIC table: checksum mismatch"));
            Assert.That(output, Does.Contain("repeats the APIC ID of an earlier enabled CPU"));
            Assert.That(output, Does.Contain("broadcast APIC ID"));

            // The dump starts with "FACP @": text, although its first bytes are the FACP signature.
            var fadt = Run("fadt", path, "--json");
            Assert.That(fadt.Exit, Is.EqualTo(0));
            using var json = JsonDocument.Parse(fadt.Out);
            Assert.That(json.RootElement.GetProperty("gpe0Port").GetUInt32(), Is.EqualTo(0xAFE0u));
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void Bare_metal_MADT_quirks_show_as_warnings_notes_and_the_APIC_mode()
    {
        var madt = new MadtBuilder().LocalApic(0, 0, 1).LocalApic(1, 0, 0).X2Apic(0, 1, 7).X2Apic(300, 1, 8).X2Apic(0xFFFF_FFFF, 0, 9)
                                    .Raw(0x40, 4, 0, 0).Raw(0x90, 2).Build();
        var (exit, output, _) = RunOnFile(madt, "madt");
        Assert.That(exit, Is.EqualTo(0));
        string[] expected =
        [
            "APIC mode: x2APIC needed (highest usable APIC ID 300; the kernel uses x2APIC wherever the CPU offers it)",
            "  MADT: 1 x2APIC entries with APIC IDs below 255 beside usable local APIC entries; ignored",
            "  MADT: 1 disabled CPU entries reuse the APIC ID of another CPU entry; ignored",
            "note: MADT: 1 disabled CPU entries with the invalid APIC ID",
            "note: MADT type-64 entry at offset 0x6c is a reserved type",
            "note: MADT type-144 entry at offset 0x70 is an OEM type",
        ];
        Assert.That(expected.Where(line => !output.Contains(line)), Is.Empty, output);

        using var json = JsonDocument.Parse(RunOnFile(madt, "madt", "--json").Out);
        Assert.That(json.RootElement.GetProperty("x2apicNeeded").GetBoolean(), Is.True);
        Assert.That(json.RootElement.GetProperty("notes").GetArrayLength(), Is.EqualTo(3));
        Assert.That(json.RootElement.GetProperty("counts").GetProperty("ignoredX2apic").GetInt32(), Is.EqualTo(1));
    }

    [Test]
    public void The_dump_reader_takes_its_bytes_by_position_not_by_looking_like_hex()
    {
        // The ASCII column of a short last line can hold "AB CD": it must not become table bytes.
        string dump = "APIC @ 0x0000000000000000\n    0000: 41 50 49 43                                      AB CD\n";
        Assert.That(TableSource.FromAcpiDump(dump, "APIC", out _), Is.EqualTo(new byte[] { 0x41, 0x50, 0x49, 0x43 }));
    }

    [TestCase("", "no \"APIC @ 0x...\" block")]
    [TestCase("APIC @ 0x0\n    0000: 41 50\n    0020: 00\n", "offset 0x0020 where 0x0002 was expected")]
    [TestCase("APIC @ 0x0\n    garbage\n", "expected \"OFFSET: hex bytes\"")]
    [TestCase("APIC @ 0x0\n\n", "holds no bytes")]
    public void Bad_dumps_are_explained(string dump, string message)
    {
        Assert.That(TableSource.FromAcpiDump(dump, "APIC", out string error), Is.Null);
        Assert.That(error, Does.Contain(message));
    }

    [Test]
    public void Bad_files_exit_1_with_a_clear_message()
    {
        var missing = Run("madt", "/nonexistent/apic.dat");
        Assert.That((missing.Exit, missing.Out), Is.EqualTo((1, "")));
        Assert.That(missing.Err, Does.Contain("cannot read the file"));

        string fadtOnly = TempFile(AcpiTestTables.QemuPcFadt);
        string truncated = TempFile(AcpiTestTables.QemuQ35Madt[..60]);
        try
        {
            var wrong = Run("madt", fadtOnly);
            Assert.That(wrong.Exit, Is.EqualTo(1));
            Assert.That(wrong.Err, Does.Contain("neither a binary APIC table"));
            var cut = Run("madt", truncated);
            Assert.That(cut.Exit, Is.EqualTo(1));
            Assert.That(cut.Err, Does.Contain("runs past the bytes supplied"));
        }
        finally
        {
            File.Delete(fadtOnly);
            File.Delete(truncated);
        }
    }

    [TestCase("")]
    [TestCase("dsdt x")]
    [TestCase("madt")]
    [TestCase("madt a b")]
    [TestCase("madt a --max-cpus zero")]
    [TestCase("fadt a --boot-apic-id 0")]
    public void Usage_errors_exit_2(string commandLine) =>
        Assert.That(Run(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Exit, Is.EqualTo(2));

    /// <summary>The acpidump text layout: "SIG @ 0xADDR", then "    OFFSET: 16 hex bytes  ASCII", a blank line between tables.</summary>
    private static string AcpiDump(params (string Signature, byte[] Table)[] tables)
    {
        var s = new StringBuilder();
        foreach (var (signature, table) in tables)
        {
            s.Append($"{signature} @ 0x{0x7FE0000 + s.Length:X16}\n");
            for (int offset = 0; offset < table.Length; offset += 16)
            {
                var line = table.AsSpan(offset, Math.Min(16, table.Length - offset)).ToArray();
                string hex = string.Join(" ", line.Select(b => b.ToString("X2")));
                string ascii = new(line.Select(b => b is >= 0x20 and < 0x7F ? (char)b : '.').ToArray());
                s.Append($"    {offset:X4}: {hex,-47}  {ascii}\n");
            }
            s.Append('\n');
        }
        return s.ToString();
    }
}

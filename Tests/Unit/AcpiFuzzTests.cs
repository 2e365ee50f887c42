using System.Buffers.Binary;
using Kernel.Arch.Acpi;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>
/// Random mutations of real-looking tables through every pure ACPI parser: MADT, RSDT/XSDT, FADT, RSDP, the BIOS-area
/// RSDP scan, and DSDTs searched for \_S5. Byte flips and sets, length fields that lie (the header's, the RSDP's, the
/// entries'), truncation, splices, garbage tails, and MADT entry surgery (type, length, APIC ID and flag changes;
/// duplicated, inserted, removed and massively repeated entries). Most mutated tables get Length and the checksum made
/// consistent again, so the mutation reaches the parser behind the checksum. Every parse must come back with a result
/// or its own error: no exception, no read past the bytes given (they end at a guard page, so an over-read kills the
/// run), no endless loop (the whole run has a generous deadline; no per-call timing). ACPI_FUZZ_ITERATIONS sets the
/// total (default 200,000: a few seconds), ACPI_FUZZ_SEED the seed; the outcome counts are printed.
/// </summary>
public unsafe class AcpiFuzzTests
{
    private const int DefaultIterations = 200_000;

    private static int Iterations =>
        int.TryParse(Environment.GetEnvironmentVariable("ACPI_FUZZ_ITERATIONS"), out int n) && n > 0 ? n : DefaultIterations;

    private static int Seed =>
        int.TryParse(Environment.GetEnvironmentVariable("ACPI_FUZZ_SEED"), out int s) ? s : 0x0AC91;

    private static readonly byte[][] Madts =
    [
        AcpiTestTables.QemuQ35Madt,
        AcpiTestTables.QemuQ35Sockets2Cores3Madt,
        new MadtBuilder()
            .LocalApic(0, 0, 1).LocalApic(1, 2, 0b10).LocalApic(2, 0, 0).IoApic(3, 0xFEC0_0000, 0).Override(9, 20, 0xF)
            .NmiSource(5, 23).LocalNmi(1, 4, 0).AddressOverride(0x1_FEE0_0000).X2Apic(300, 1, 7).X2ApicNmi(0, 0xFFFF_FFFF, 1)
            .Raw(0x80, 5, 1, 2, 3).X2Apic(0xFFFF_FFFF, 1, 8).Build(),
    ];

    private static readonly byte[][] RootTables =
    [
        AcpiTestTables.QemuQ35Rsdt,
        AcpiTestTables.RootTable(xsdt: true, 0x7FE1_0000, 0x7FE2_0000, 0x1_0000_0000, 0),
    ];

    private static readonly byte[][] Fadts = [AcpiTestTables.QemuQ35Fadt, AcpiTestTables.QemuPcFadt];

    // The real DSDTs, and a small one (a Scope, then \_S5 with a two-byte PkgLength) where mutations land on the package.
    private static readonly byte[][] Dsdts =
    [
        AcpiTestTables.QemuQ35Dsdt,
        AcpiTestTables.QemuPcDsdt,
        AcpiTestTables.Table("DSDT", 2, [0x10, 0x08, (byte)'\\', .. "_SB_"u8, 0x08, (byte)'\\', .. "_S5_"u8, 0x12, 0x46, 0x01, 0x04,
                                         0x0A, 0x05, 0x0B, 0x06, 0x00, 0x0C, 0, 0, 0, 0, 0x0E, 0, 0, 0, 0, 0, 0, 0, 0]),
    ];

    private static readonly byte[][] Rsdps = [AcpiTestTables.QemuPcRsdp, AcpiTestTables.Rsdp(2, 0x1000, 0x2000)];

    [Test]
    public void Mutated_tables_never_break_the_parsers()
    {
        int iterations = Iterations, seed = Seed;
        Exception? failure = null;
        string report = "";
        var worker = new Thread(() =>
        {
            try { report = Run(iterations, seed); }
            catch (Exception e) { failure = e; }
        }, maxStackSize: 16 * 1024 * 1024);
        worker.IsBackground = true;   // if a parser loops forever, the test fails and the process can still exit
        worker.Start();
        // Only a hang detector, far above any real run (the default count takes seconds).
        var deadline = TimeSpan.FromSeconds(120) + TimeSpan.FromMilliseconds(iterations);
        Assert.That(worker.Join(deadline), Is.True, $"fuzzing did not finish within {deadline} (seed {seed}): a parser loops?");
        if (failure is not null) Assert.Fail($"seed {seed}: {failure}");
        TestContext.Out.WriteLine(report);
    }

    private static string Run(int iterations, int seed)
    {
        var random = new Random(seed);
        var guarded = AcpiTestTables.Guarded;
        var outcomes = new SortedDictionary<string, int>(StringComparer.Ordinal);

        for (int i = 0; i < iterations; i++)
        {
            int kind = i % 10;   // MADT gets 4 of 10 iterations: it has the most structure
            switch (kind)
            {
                case < 4:
                {
                    byte[] blob = random.Next(2) == 0 ? MutateMadtEntries(random, Pick(random, Madts)) : Mutate(random, Pick(random, Madts));
                    int maxCpus = random.Next(8) == 0 ? 64 : random.Next(0, 6);
                    uint boot = random.Next(4) == 0 ? Madt.UnknownApicId : (uint)random.Next(0, 4);
                    var madt = Madt.Parse(guarded.Place(blob), (ulong)blob.Length, boot, maxCpus);
                    CheckMadt(madt, maxCpus, blob);
                    Count(outcomes, "MADT", madt.Status, madt.Warnings);
                    break;
                }
                case 4:
                {
                    byte[] blob = Mutate(random, Pick(random, RootTables));
                    var root = RootTable.Parse(guarded.Place(blob), (ulong)blob.Length);
                    CheckCommon(root.Status, root.Error, root.Warnings, blob);
                    Require(root.Entries is not null && root.Entries.All(e => e != 0), "root table entries", blob);
                    Require(root.Entries!.Length <= Math.Max(0, (blob.Length - 36) / 4), "no more entries than the bytes hold", blob);
                    Count(outcomes, root.IsXsdt ? "XSDT" : "RSDT", root.Status, root.Warnings);
                    break;
                }
                case 5:
                {
                    byte[] blob = Mutate(random, Pick(random, Fadts), FadtLengths);
                    var fadt = Fadt.Parse(guarded.Place(blob), (ulong)blob.Length);
                    CheckCommon(fadt.Status, fadt.Error, fadt.Warnings, blob);
                    Require(fadt.PmTimerPort <= 0xFFFF || fadt.PmTimerPort == fadt.PmTimerBlock, "resolved timer port", blob);
                    Count(outcomes, "FADT", fadt.Status, fadt.Warnings);
                    break;
                }
                case 6:
                {
                    byte[] blob = MutateRsdp(random, Pick(random, Rsdps));
                    bool ok = Rsdp.Parse(guarded.Place(blob), (uint)blob.Length, out var info, out string error);
                    Require(ok == (error is null) && (!ok || info.RootTableAddress != 0), "RSDP result and error agree", blob);
                    Require(!ok || (info.Length >= 20 && info.Length <= blob.Length), "RSDP length within the bytes", blob);
                    Count(outcomes, ok ? "RSDP ok" : error);
                    break;
                }
                case 7:
                {
                    byte[] area = BiosArea(random);
                    byte* p = guarded.Place(area);
                    long found = Rsdp.FindInBiosArea(p, (uint)area.Length);
                    Require(found == -1 || (found % 16 == 0 && found + 20 <= area.Length && Rsdp.Parse(p + found, (uint)(area.Length - found), out _, out _)),
                            "BIOS scan offset holds an RSDP", area);
                    for (long at = 0; at + 20 <= (found == -1 ? area.Length : found); at += 16)
                        Require(!Rsdp.Parse(p + at, (uint)(area.Length - at), out _, out _), "BIOS scan finds the first RSDP", area);
                    Count(outcomes, found == -1 ? "BIOS scan none" : "BIOS scan found");
                    break;
                }
                default:
                {
                    byte[] blob = Mutate(random, Pick(random, Dsdts));
                    var s5 = SleepState.Find(guarded.Place(blob), (ulong)blob.Length, "DSDT", 5);
                    Require(Enum.IsDefined(s5.Status), "sleep state status is a defined value", blob);
                    Require((s5.Status == SleepStateStatus.Found) == (s5.Error is null), "error is set exactly when not found", blob);
                    Require(s5.Status != SleepStateStatus.Found || (s5.SlpTypA <= 7 && s5.SlpTypB <= 7 && s5.Offset >= 36 && s5.Offset < blob.Length),
                            "found values fit SLP_TYP and the offset lies in the AML", blob);
                    Count(outcomes, $"\\_S5 {s5.Status}");
                    break;
                }
            }
        }

        return $"{iterations} mutations (seed {seed}): " + string.Join(", ", outcomes.Select(o => $"{o.Key} {o.Value}"));
    }

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];

    private static void Count(SortedDictionary<string, int> outcomes, string key) => outcomes[key] = outcomes.GetValueOrDefault(key) + 1;

    private static void Count(SortedDictionary<string, int> outcomes, string table, AcpiTableStatus status, string[] warnings) =>
        Count(outcomes, $"{table} {status}{(status is AcpiTableStatus.Valid or AcpiTableStatus.BadChecksum && warnings.Length > 0 ? " with warnings" : "")}");

    // FADT lengths where a field starts or ends (Table 5.9): ACPI 1.0 ends at 116, RESET_VALUE at 129, X_DSDT at 148, X_GPE0_BLK at 232.
    private static readonly int[] FadtLengths = [0, 35, 36, 115, 116, 117, 128, 129, 139, 140, 147, 148, 231, 232, 244, 268, 276];

    private static byte[] Mutate(Random random, byte[] original, int[]? lengths = null)
    {
        var blob = (byte[])original.Clone();
        int mutations = 1 + random.Next(4);
        for (int m = 0; m < mutations && blob.Length > 0; m++)
        {
            switch (random.Next(8))
            {
                case 0:   // flip a bit anywhere
                    blob[random.Next(blob.Length)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:   // overwrite a byte, often with a boundary value
                    blob[random.Next(blob.Length)] = random.Next(2) == 0 ? (byte)random.Next(256) : Pick(random, Interesting8);
                    break;
                case 2:   // the header Length: near the real size, a field boundary, or anything
                    if (blob.Length >= 8)
                    {
                        uint length = random.Next(3) switch
                        {
                            0 => (uint)random.NextInt64(0, 1L << 32),
                            1 when lengths is not null => (uint)Pick(random, lengths),
                            _ => (uint)Math.Max(0, blob.Length + random.Next(-48, 48)),
                        };
                        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(4), length);
                    }
                    break;
                case 3:   // a 32-bit field set to a boundary value (addresses, IDs, flags)
                    if (blob.Length >= 4)
                        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(random.Next(blob.Length - 3)), Pick(random, Interesting32));
                    break;
                case 4:   // truncate, or cut to a field boundary
                    int cut = lengths is not null && random.Next(2) == 0 ? Pick(random, lengths) : random.Next(blob.Length + 1);
                    blob = blob[..Math.Min(cut, blob.Length)];
                    break;
                case 5:   // splice a chunk of itself somewhere else
                    if (blob.Length > 2)
                    {
                        int from = random.Next(blob.Length), to = random.Next(blob.Length);
                        int count = Math.Min(random.Next(1, 17), blob.Length - Math.Max(from, to));
                        Array.Copy(blob, from, blob, to, count);
                    }
                    break;
                case 6:   // an entry length byte: MADT entries start at 44
                    if (blob.Length > 45)
                        blob[44 + random.Next(blob.Length - 44)] = (byte)(random.Next(4) == 0 ? random.Next(256) : random.Next(0, 20));
                    break;
                default:  // grow with garbage
                    blob = [.. blob, .. RandomBytes(random, random.Next(1, 24))];
                    break;
            }
        }
        // Three times in four, Length (half the time) and the checksum are made consistent again, so mutations get
        // past the checksum to the parser proper; the rest exercise the BadChecksum and length verdicts.
        if (random.Next(4) != 0 && blob.Length >= 36)
        {
            if (random.Next(2) == 0) BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(4), (uint)blob.Length);
            AcpiTestTables.FixChecksum(blob);
        }
        return blob;
    }

    private static readonly byte[] Interesting8 = [0, 1, 2, 0x7F, 0x80, 0xFE, 0xFF];
    private static readonly uint[] Interesting32 = [0, 1, 0xFE, 0xFF, 0x100, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFE, 0xFFFF_FFFF];

    // MADT entry types worth aiming at (Table 5.21): every one the parser reads, the unused ones, reserved and OEM.
    private static readonly byte[] MadtTypes = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xA, 0xB, 0x10, 0x11, 0x17, 0x18, 0x7F, 0x80, 0xFF];
    private static readonly uint[] ApicIds = [0, 1, 2, 3, 0xFE, 0xFF, 0x100, 0x12C, 0xFFFF_FFFE, 0xFFFF_FFFF];

    /// <summary>Surgery on the MADT's entries: the walk's view of them, changed one at a time, then Length and checksum fixed (mostly).</summary>
    private static byte[] MutateMadtEntries(Random random, byte[] original)
    {
        var entries = new List<byte[]>();
        for (int at = 44; at + 2 <= original.Length && original[at + 1] >= 2 && at + original[at + 1] <= original.Length; at += original[at + 1])
            entries.Add(original[at..(at + original[at + 1])]);
        int mutations = 1 + random.Next(3);
        for (int m = 0; m < mutations; m++)
        {
            int index = entries.Count == 0 ? -1 : random.Next(entries.Count);
            byte[]? e = index < 0 ? null : (byte[])entries[index].Clone();
            switch (random.Next(9))
            {
                case 0 when e is not null:   // another type, same bytes
                    e[0] = Pick(random, MadtTypes);
                    break;
                case 1 when e is not null:   // a length that lies: too short for the type, one off, past the end, or anything
                    e[1] = (byte)Pick(random, new[] { 0, 1, 2, e[1] - 1, e[1] + 1, 255, random.Next(256) });
                    break;
                case 2 when e is not null:   // an APIC ID (type 0: byte 3; type 9: bytes 4–7) or a UID
                    if (e.Length >= 8 && random.Next(2) == 0) BinaryPrimitives.WriteUInt32LittleEndian(e.AsSpan(4), Pick(random, ApicIds));
                    else if (e.Length >= 4) e[random.Next(2, 4)] = Pick(random, Interesting8);
                    break;
                case 3 when e is not null:   // flags: enabled, online capable, both, reserved bits
                    int flagsAt = e[0] == 9 ? 8 : 4;
                    if (e.Length >= flagsAt + 4) BinaryPrimitives.WriteUInt32LittleEndian(e.AsSpan(flagsAt), Pick(random, new uint[] { 0, 1, 2, 3, 0xFFFF_FFFF }));
                    break;
                case 4 when e is not null:   // duplicate it somewhere
                    entries.Insert(random.Next(entries.Count + 1), e);
                    e = null;
                    break;
                case 5 when e is not null:   // remove it
                    entries.RemoveAt(index);
                    e = null;
                    break;
                case 6 when e is not null:   // repeat it many times: more CPUs than any limit, more warnings than the cap
                    for (int n = random.Next(20, 300); n > 0; n--) entries.Add(e);
                    e = null;
                    break;
                case 7:                      // a new entry of a chosen type and length with random contents
                    byte type = Pick(random, MadtTypes);
                    byte[] fresh = [type, (byte)random.Next(2, 20), .. RandomBytes(random, 18)];
                    entries.Insert(random.Next(entries.Count + 1), fresh[..Math.Max(2, (int)fresh[1])]);
                    break;
                default:                     // a new CPU: local APIC or x2APIC, with a chosen ID and flags
                    uint id = Pick(random, ApicIds), flags = (uint)random.Next(4);
                    byte[] cpu = random.Next(2) == 0
                        ? [0, 8, (byte)random.Next(256), (byte)id, .. MadtBuilder.U32(flags)]
                        : [9, 16, 0, 0, .. MadtBuilder.U32(id), .. MadtBuilder.U32(flags), .. MadtBuilder.U32((uint)random.Next())];
                    entries.Insert(random.Next(entries.Count + 1), cpu);
                    break;
            }
            if (e is not null) entries[index] = e;
        }
        byte[] blob = [.. original[..Math.Min(44, original.Length)], .. entries.SelectMany(x => x)];
        if (blob.Length >= 36 && random.Next(8) != 0)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(4), (uint)blob.Length);
            AcpiTestTables.FixChecksum(blob);
        }
        return blob;
    }

    private static byte[] MutateRsdp(Random random, byte[] original)
    {
        var blob = (byte[])original.Clone();
        int mutations = 1 + random.Next(3);
        for (int m = 0; m < mutations && blob.Length > 0; m++)
        {
            switch (random.Next(5))
            {
                case 0: blob[random.Next(blob.Length)] ^= (byte)(1 << random.Next(8)); break;
                case 1: blob[random.Next(blob.Length)] = Pick(random, Interesting8); break;
                case 2:   // Revision (byte 15): 0, 1, 2, or beyond
                    if (blob.Length > 15) blob[15] = Pick(random, new byte[] { 0, 1, 2, 3, 0xFF });
                    break;
                case 3:   // Length (bytes 20–23): below 36, the real size, past the bytes, or anything
                    if (blob.Length >= 24)
                        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(20), Pick(random, new uint[] { 0, 20, 35, 36, (uint)blob.Length, (uint)blob.Length + 1, 0xFFFF_FFFF }));
                    break;
                default:  // truncate, or cut to the ACPI 1.0 part
                    blob = blob[..Math.Min(blob.Length, random.Next(2) == 0 ? 20 : random.Next(blob.Length + 1))];
                    break;
            }
        }
        if (random.Next(4) != 0) FixRsdpChecksums(blob);
        return blob;
    }

    /// <summary>Both RSDP checksums made right again: byte 8 over the first 20 bytes, byte 32 over Length (§5.2.5.3).</summary>
    private static void FixRsdpChecksums(byte[] rsdp)
    {
        if (rsdp.Length < 20) return;
        rsdp[8] = 0;
        rsdp[8] = AcpiTestTables.Complement(rsdp.AsSpan(0, 20));
        if (rsdp.Length < 36) return;
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(rsdp.AsSpan(20));
        if (length < 36 || length > rsdp.Length) return;
        rsdp[32] = 0;
        rsdp[32] = AcpiTestTables.Complement(rsdp.AsSpan(0, (int)length));
    }

    /// <summary>A BIOS area (§5.2.5.1) of zeros or garbage with RSDPs, mutated RSDPs and bare signatures on and off 16-byte boundaries, some at the very end.</summary>
    private static byte[] BiosArea(Random random)
    {
        int length = random.Next(3) == 0 ? random.Next(0, 64) : random.Next(64, 4096);
        byte[] area = random.Next(2) == 0 ? new byte[length] : RandomBytes(random, length);
        for (int n = random.Next(0, 4); n > 0; n--)
        {
            byte[] item = random.Next(3) switch
            {
                0 => "RSD PTR "u8.ToArray(),
                1 => Pick(random, Rsdps),
                _ => MutateRsdp(random, Pick(random, Rsdps)),
            };
            if (item.Length > area.Length) continue;
            int at = random.Next(4) == 0 ? area.Length - item.Length : random.Next(area.Length - item.Length + 1);
            if (random.Next(4) != 0) at &= ~15;
            item.CopyTo(area, at);
        }
        return area;
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    private static void CheckCommon(AcpiTableStatus status, string? error, string[] warnings, byte[] blob)
    {
        Require(Enum.IsDefined(status), "status is a defined value", blob);
        Require((status == AcpiTableStatus.Valid) == (error is null), "error is set exactly when the status is not Valid", blob);
        Require(warnings is not null && warnings.All(w => !string.IsNullOrEmpty(w)), "warnings are lines", blob);
        Require(warnings!.Length <= 33, "warnings are capped", blob);
    }

    private static void CheckMadt(MadtInfo madt, int maxCpus, byte[] blob)
    {
        CheckCommon(madt.Status, madt.Error, madt.Warnings, blob);
        Require(madt.BootCpuCount + madt.HotplugSlotCount + madt.DisabledCount == madt.Cpus.Length, "counts add up", blob);
        Require(madt.BootCpuCount + madt.HotplugSlotCount <= Math.Max(1, maxCpus), "usable CPUs within the limit", blob);
        Require(madt.Cpus.Count(c => c.IsBootCpu) <= 1, "at most one boot CPU", blob);
        var enabledIds = madt.Cpus.Where(c => c.Enabled).Select(c => c.ApicId).ToList();
        Require(enabledIds.Distinct().Count() == enabledIds.Count, "enabled APIC IDs are unique", blob);
        Require(madt.Cpus.All(c => c.ApicId != (c.IsX2Apic ? 0xFFFF_FFFF : 0xFFu)), "no broadcast IDs", blob);
        Require(madt.LocalNmis.All(n => n.Lint <= 1), "LINT is 0 or 1", blob);
        Require(madt.IoApics.All(io => io.Address != 0), "I/O APIC addresses are non-zero", blob);
        Require(madt.UseBootCpuOnly == (madt.BootCpuCount == 0), "fallback flag", blob);
        Require(madt.Notes is not null && madt.Notes.All(n => !string.IsNullOrEmpty(n)) && madt.Notes.Length <= 33, "notes are capped lines", blob);
        Require(!madt.Cpus.Any(c => !c.IsX2Apic && (c.Enabled || c.OnlineCapable)) || madt.Cpus.All(c => !c.IsX2Apic || c.ApicId >= 0xFF),
                "no x2APIC entry below 255 beside usable local APIC entries", blob);
        Require(madt.IgnoredDisabledCount >= 0 && madt.IgnoredX2ApicCount >= 0 && madt.DroppedOverLimitCount >= 0 && madt.SkippedEntryCount >= 0,
                "counters", blob);
    }

    private static void Require(bool condition, string what, byte[] blob)
    {
        if (!condition) throw new InvalidOperationException($"{what} failed for blob {Convert.ToHexString(blob)}");
    }
}

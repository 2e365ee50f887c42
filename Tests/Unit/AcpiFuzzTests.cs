using System.Buffers.Binary;
using Kernel.Acpi;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>
/// Random mutations of real-looking tables (MADT, RSDT/XSDT, FADT, RSDP, and DSDTs searched for \_S5): byte flips,
/// changed length fields (the header's and the entries'),
/// truncations and splices. Every parse must come back with a result or its own error: no exception, no read
/// past the bytes given (they end at a guard page, so an over-read faults), no endless loop (each call is timed,
/// and the whole run has a deadline). ACPI_FUZZ_ITERATIONS sets the total (default 200,000), ACPI_FUZZ_SEED the seed.
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
        string progress = "";
        var worker = new Thread(() =>
        {
            try { progress = Run(iterations, seed); }
            catch (Exception e) { failure = e; }
        }, maxStackSize: 16 * 1024 * 1024);
        worker.IsBackground = true;   // if a parser loops forever, the test fails and the process can still exit
        worker.Start();
        // Generous for CI (~1–3 s for the default count), but a hang ends the test rather than the run.
        var deadline = TimeSpan.FromSeconds(60) + TimeSpan.FromMilliseconds(iterations / 2.0);
        Assert.That(worker.Join(deadline), Is.True, $"fuzzing did not finish within {deadline} (seed {seed}): a parser loops?");
        if (failure is not null) Assert.Fail($"seed {seed}: {failure}");
        TestContext.Out.WriteLine(progress);
    }

    private static string Run(int iterations, int seed)
    {
        var random = new Random(seed);
        var guarded = AcpiTestTables.Guarded;
        int madtCalls = 0, rootCalls = 0, fadtCalls = 0, rsdpCalls = 0, scanCalls = 0, sleepCalls = 0;
        var statuses = new Dictionary<AcpiTableStatus, int>();
        var sleepStatuses = new Dictionary<SleepStateStatus, int>();

        for (int i = 0; i < iterations; i++)
        {
            int kind = i % 9;   // MADT gets 4 of 9 iterations: it has the most structure
            byte[] original = kind switch
            {
                < 4 => Pick(random, Madts),
                4 => Pick(random, RootTables),
                5 => Pick(random, Fadts),
                8 => Pick(random, Dsdts),
                _ => Pick(random, Rsdps),
            };
            byte[] blob = Mutate(random, original, isRsdp: kind is 6 or 7);
            byte* p = guarded.Place(blob);
            ulong available = (ulong)blob.Length;

            switch (kind)
            {
                case < 4:
                    int maxCpus = random.Next(0, 6);
                    uint boot = random.Next(4) == 0 ? Madt.UnknownApicId : (uint)random.Next(0, 4);
                    var madt = Madt.Parse(p, available, boot, maxCpus);
                    CheckMadt(madt, maxCpus, blob);
                    Count(statuses, madt.Status);
                    madtCalls++;
                    break;
                case 4:
                    var root = RootTable.Parse(p, available);
                    CheckCommon(root.Status, root.Error, root.Warnings, blob);
                    Require(root.Entries is not null && root.Entries.All(e => e != 0), "root table entries", blob);
                    Count(statuses, root.Status);
                    rootCalls++;
                    break;
                case 5:
                    var fadt = Fadt.Parse(p, available);
                    CheckCommon(fadt.Status, fadt.Error, fadt.Warnings, blob);
                    Require(fadt.PmTimerPort <= 0xFFFF || fadt.PmTimerPort == fadt.PmTimerBlock, "resolved timer port", blob);
                    Count(statuses, fadt.Status);
                    fadtCalls++;
                    break;
                case 6:
                    bool ok = Rsdp.Parse(p, (uint)blob.Length, out var info, out string error);
                    Require(ok == (error is null) && (!ok || info.RootTableAddress != 0), "RSDP result and error agree", blob);
                    rsdpCalls++;
                    break;
                case 7:
                    long found = Rsdp.FindInBiosArea(p, (uint)blob.Length);
                    Require(found == -1 || (found % 16 == 0 && found + 20 <= blob.Length), "BIOS scan offset", blob);
                    scanCalls++;
                    break;
                default:
                    var s5 = SleepState.Find(p, available, "DSDT", 5);
                    Require(Enum.IsDefined(s5.Status), "sleep state status is a defined value", blob);
                    Require((s5.Status == SleepStateStatus.Found) == (s5.Error is null), "error is set exactly when not found", blob);
                    Require(s5.Status != SleepStateStatus.Found || (s5.SlpTypA <= 7 && s5.SlpTypB <= 7 && s5.Offset >= 36 && s5.Offset < blob.Length),
                            "found values fit SLP_TYP and the offset lies in the AML", blob);
                    Count(sleepStatuses, s5.Status);
                    sleepCalls++;
                    break;
            }
        }

        return $"{iterations} mutations (seed {seed}): MADT {madtCalls}, RSDT/XSDT {rootCalls}, FADT {fadtCalls}, RSDP {rsdpCalls}, BIOS scan {scanCalls}, \\_S5 {sleepCalls}; " +
               string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key} {s.Value}")) +
               "; \\_S5: " + string.Join(", ", sleepStatuses.OrderBy(s => s.Key).Select(s => $"{s.Key} {s.Value}"));
    }

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];

    private static void Count<T>(Dictionary<T, int> statuses, T status) where T : notnull =>
        statuses[status] = statuses.GetValueOrDefault(status) + 1;

    private static byte[] Mutate(Random random, byte[] original, bool isRsdp)
    {
        var blob = (byte[])original.Clone();
        int mutations = 1 + random.Next(4);
        for (int m = 0; m < mutations; m++)
        {
            switch (random.Next(7))
            {
                case 0:   // flip a few bits anywhere
                    blob[random.Next(blob.Length)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:   // overwrite a byte
                    blob[random.Next(blob.Length)] = (byte)random.Next(256);
                    break;
                case 2:   // the header Length (or the RSDP's): near the real size, or anything
                    if (blob.Length >= 8)
                    {
                        int at = isRsdp ? Math.Min(20, blob.Length - 4) : 4;
                        uint length = random.Next(3) == 0 ? (uint)random.NextInt64(0, 1L << 32) : (uint)Math.Max(0, blob.Length + random.Next(-48, 48));
                        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(at), length);
                    }
                    break;
                case 3:   // an entry length byte: MADT entries start at 44, so hit bytes where lengths live
                    if (blob.Length > 45)
                        blob[44 + random.Next(blob.Length - 44)] = (byte)(random.Next(4) == 0 ? random.Next(256) : random.Next(0, 20));
                    break;
                case 4:   // truncate
                    blob = blob[..random.Next(blob.Length + 1)];
                    break;
                case 5:   // splice a chunk of itself somewhere else
                    if (blob.Length > 2)
                    {
                        int from = random.Next(blob.Length), to = random.Next(blob.Length);
                        int count = random.Next(1, Math.Min(16, blob.Length - Math.Max(from, to)) + 1);
                        Array.Copy(blob, from, blob, to, Math.Max(0, Math.Min(count, blob.Length - Math.Max(from, to))));
                    }
                    break;
                default:  // grow with garbage
                    blob = [.. blob, .. Enumerable.Range(0, random.Next(1, 24)).Select(_ => (byte)random.Next(256))];
                    break;
            }
            if (blob.Length == 0) break;
        }
        // Half the time Length and the checksum are made consistent again, so mutations reach the entry walk.
        if (!isRsdp && random.Next(2) == 0 && blob.Length >= 36)
        {
            if (random.Next(2) == 0) BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(4), (uint)blob.Length);
            AcpiTestTables.FixChecksum(blob);
        }
        return blob;
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
    }

    private static void Require(bool condition, string what, byte[] blob)
    {
        if (!condition) throw new InvalidOperationException($"{what} failed for blob {Convert.ToHexString(blob)}");
    }
}

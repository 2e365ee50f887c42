using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Kernel.Tests.Unit;

/// <summary>
/// ACPI tables for the parser tests: real ones QEMU 7.2 built under SeaBIOS (read out of guest memory, see
/// tools/AcpiTool/samples/README.md), and builders that lay out headers and entries and compute checksums.
/// </summary>
internal static class AcpiTestTables
{
    /// <summary>q35, -smp 1,maxcpus=4: LAPIC 0xFEE00000, CPUs 0–3 (only 0 enabled), I/O APIC 0, overrides 0→2 and 5, 9, 10, 11 level/high, LINT1 NMI.</summary>
    public static readonly byte[] QemuQ35Madt = Convert.FromHexString(
        "4150494390000000014e424f4348532042585043202020200100000042585043010000000000e0fe0100000000080000010000000008010100" +
        "00000000080202000000000008030300000000010c00000000c0fe00000000020a0000020000000000020a0005050000000d00020a00090900" +
        "00000d00020a000a0a0000000d00020a000b0b0000000d000406ff000001");

    /// <summary>q35, -smp 2,sockets=2,cores=3,maxcpus=6: UID 3 is APIC ID 4.</summary>
    public static readonly byte[] QemuQ35Sockets2Cores3Madt = Convert.FromHexString(
        "41504943a00000000118424f4348532042585043202020200100000042585043010000000000e0fe0100000000080000010000000008010101" +
        "0000000008020200000000000803040000000000080405000000000008050600000000010c00000000c0fe00000000020a000002000000000002" +
        "0a0005050000000d00020a0009090000000d00020a000a0a0000000d00020a000b0b0000000d000406ff000001");

    /// <summary>q35: a revision-3, 244-byte FADT with RESET_REG and the X_ blocks.</summary>
    public static readonly byte[] QemuQ35Fadt = Convert.FromHexString(
        "46414350f4000000033a424f4348532042585043202020200100000042585043010000000000fe014000fe0101000900b20000000203000000" +
        "060000000000000406000000000000000000000806000020060000000000000402000410000000ff0fff0f000000000000000032020000a584" +
        "000001080000f90c0000000000000f00000000000000000000004000fe01000000000120000000060000000000000000000000000000000000" +
        "0001100000040600000000000000000000000000000000000000000000000000000000000001200000080600000000000001800000200600000" +
        "0000000000000000000000000000000");

    /// <summary>pc: a revision-1, 116-byte ACPI 1.0 FADT.</summary>
    public static readonly byte[] QemuPcFadt = Convert.FromHexString(
        "464143507400000001fd424f4348532042585043202020200100000042585043010000000000fe014000fe0101000900b2000000f1f0000000" +
        "0600000000000004060000000000000000000008060000e0af0000000000000402000404000000ff0fff0f000000000000000032000000a5800000");

    /// <summary>pc: the 20-byte ACPI 1.0 RSDP SeaBIOS puts at 0xF59D0.</summary>
    public static readonly byte[] QemuPcRsdp = Convert.FromHexString("5253442050545220d8424f4348532000601bfe01");

    /// <summary>q35: the RSDT with FACP, APIC, HPET, MCFG, WAET.</summary>
    public static readonly byte[] QemuQ35Rsdt = Convert.FromHexString(
        "5253445438000000014f424f4348532042585043202020200100000042585043010000003321fe012722fe01b722fe01ef22fe012b23fe01");

    /// <summary>tools/AcpiTool/samples/NAME, found from this source file's place in the repository.</summary>
    public static string SamplePath(string name, [CallerFilePath] string thisFile = "")
    {
        string path = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "..", "tools", "AcpiTool", "samples", name));
        if (!File.Exists(path)) throw new FileNotFoundException($"sample {path} not found");
        return path;
    }

    /// <summary>q35's whole DSDT (tools/AcpiTool/samples/qemu-q35.dsdt.aml): \_S5 at offset 7764.</summary>
    public static byte[] QemuQ35Dsdt => File.ReadAllBytes(SamplePath("qemu-q35.dsdt.aml"));

    /// <summary>pc's whole DSDT (tools/AcpiTool/samples/qemu-pc.dsdt.aml): \_S5 at offset 2890.</summary>
    public static byte[] QemuPcDsdt => File.ReadAllBytes(SamplePath("qemu-pc.dsdt.aml"));

    /// <summary>Header (§5.2.6) + body, checksum fixed. The OEM fields are QEMU's.</summary>
    public static byte[] Table(string signature, byte revision, byte[] body)
    {
        var table = new byte[36 + body.Length];
        Encoding.ASCII.GetBytes(signature).CopyTo(table, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(4), (uint)table.Length);
        table[8] = revision;
        "BOCHS "u8.CopyTo(table.AsSpan(10));
        "BXPC    "u8.CopyTo(table.AsSpan(16));
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(24), 1);
        "BXPC"u8.CopyTo(table.AsSpan(28));
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(32), 1);
        body.CopyTo(table, 36);
        FixChecksum(table);
        return table;
    }

    /// <summary>Sets byte 9 so the table's Length bytes (or all of it, if Length is bogus) sum to 0.</summary>
    public static void FixChecksum(byte[] table, int checksumOffset = 9)
    {
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(4));
        int count = length >= 36 && length <= table.Length ? (int)length : table.Length;
        table[checksumOffset] = 0;
        byte sum = 0;
        for (int i = 0; i < count; i++) sum += table[i];
        table[checksumOffset] = (byte)(0x100 - sum);
    }

    public static byte[] Rsdp(byte revision, uint rsdt, ulong xsdt = 0)
    {
        var rsdp = new byte[revision >= 2 ? 36 : 20];
        "RSD PTR "u8.CopyTo(rsdp);
        "BOCHS "u8.CopyTo(rsdp.AsSpan(9));
        rsdp[15] = revision;
        BinaryPrimitives.WriteUInt32LittleEndian(rsdp.AsSpan(16), rsdt);
        if (revision >= 2)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(rsdp.AsSpan(20), 36);
            BinaryPrimitives.WriteUInt64LittleEndian(rsdp.AsSpan(24), xsdt);
        }
        rsdp[8] = Complement(rsdp.AsSpan(0, 20));
        if (revision >= 2) rsdp[32] = Complement(rsdp);
        return rsdp;
    }

    public static byte Complement(ReadOnlySpan<byte> bytes)
    {
        byte sum = 0;
        foreach (byte b in bytes) sum += b;
        return (byte)(0x100 - sum);
    }

    public static byte[] RootTable(bool xsdt, params ulong[] entries)
    {
        int size = xsdt ? 8 : 4;
        var body = new byte[entries.Length * size];
        for (int i = 0; i < entries.Length; i++)
        {
            if (xsdt) BinaryPrimitives.WriteUInt64LittleEndian(body.AsSpan(i * 8), entries[i]);
            else BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(i * 4), (uint)entries[i]);
        }
        return Table(xsdt ? "XSDT" : "RSDT", 1, body);
    }

    /// <summary>
    /// Native memory whose last byte is followed by an inaccessible page (Linux), so a parser that reads one byte
    /// past what it was given faults at once instead of reading a neighbour in the managed heap.
    /// </summary>
    public sealed unsafe class GuardedBuffer : IDisposable
    {
        private const int ProtNone = 0, ProtRead = 1, ProtWrite = 2, MapPrivate = 2, MapAnonymous = 0x20;
        private readonly byte* _base;
        private readonly nuint _size;
        private readonly int _capacity;

        public GuardedBuffer(int capacity)
        {
            if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("the guard page needs mmap");
            nuint page = (nuint)Environment.SystemPageSize;
            nuint dataPages = ((nuint)capacity + page - 1) / page;
            _size = (dataPages + 1) * page;
            _base = (byte*)mmap(null, _size, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
            if ((nint)_base == -1) throw new InvalidOperationException("mmap failed");
            if (mprotect(_base + dataPages * page, page, ProtNone) != 0) throw new InvalidOperationException("mprotect failed");
            _capacity = (int)(dataPages * page);
        }

        /// <summary>Copies <paramref name="bytes"/> so they end right at the guard page; returns their first byte.</summary>
        public byte* Place(ReadOnlySpan<byte> bytes)
        {
            if (bytes.Length > _capacity) throw new ArgumentException("too large for the guarded buffer");
            byte* start = _base + _capacity - bytes.Length;
            bytes.CopyTo(new Span<byte>(start, bytes.Length));
            return start;
        }

        public void Dispose() => munmap(_base, _size);

        [DllImport("libc", SetLastError = true)] private static extern void* mmap(void* addr, nuint length, int prot, int flags, int fd, nint offset);
        [DllImport("libc", SetLastError = true)] private static extern int mprotect(void* addr, nuint length, int prot);
        [DllImport("libc", SetLastError = true)] private static extern int munmap(void* addr, nuint length);
    }

    [ThreadStatic] private static GuardedBuffer? s_guarded;

    /// <summary>A per-thread guarded buffer for the tests' parses, large enough for the 128 KiB BIOS area at 0xE0000.</summary>
    public static GuardedBuffer Guarded => s_guarded ??= new GuardedBuffer(256 * 1024);
}

/// <summary>Builds a MADT entry by entry (ACPI 6.5 §5.2.12): header fields, then {type, length, ...} structures.</summary>
internal sealed class MadtBuilder
{
    private readonly List<byte> _entries = [];
    public uint LocalApicAddress = 0xFEE0_0000;
    public uint Flags = 1;
    public byte Revision = 1;

    public MadtBuilder Raw(params byte[] entry) { _entries.AddRange(entry); return this; }

    public MadtBuilder LocalApic(byte uid, byte apicId, uint flags) => Raw([0, 8, uid, apicId, .. U32(flags)]);
    public MadtBuilder IoApic(byte id, uint address, uint gsiBase) => Raw([1, 12, id, 0, .. U32(address), .. U32(gsiBase)]);
    public MadtBuilder Override(byte irq, uint gsi, ushort flags, byte bus = 0) => Raw([2, 10, bus, irq, .. U32(gsi), .. U16(flags)]);
    public MadtBuilder NmiSource(ushort flags, uint gsi) => Raw([3, 8, .. U16(flags), .. U32(gsi)]);
    public MadtBuilder LocalNmi(byte uid, ushort flags, byte lint) => Raw([4, 6, uid, .. U16(flags), lint]);
    public MadtBuilder AddressOverride(ulong address) => Raw([5, 12, 0, 0, .. U64(address)]);
    public MadtBuilder X2Apic(uint apicId, uint flags, uint uid) => Raw([9, 16, 0, 0, .. U32(apicId), .. U32(flags), .. U32(uid)]);
    public MadtBuilder X2ApicNmi(ushort flags, uint uid, byte lint) => Raw([0xA, 12, .. U16(flags), .. U32(uid), lint, 0, 0, 0]);

    public byte[] Build() => AcpiTestTables.Table("APIC", Revision, [.. U32(LocalApicAddress), .. U32(Flags), .. _entries]);

    /// <summary>What QEMU 7.2 emits for -smp <paramref name="present"/>,maxcpus=<paramref name="possible"/> (hw/i386/acpi-common.c build_madt).</summary>
    public static MadtBuilder Qemu(int present, int possible)
    {
        var madt = new MadtBuilder();
        for (int i = 0; i < possible; i++) madt.LocalApic((byte)i, (byte)i, i < present ? 1u : 0u);
        madt.IoApic(0, 0xFEC0_0000, 0).Override(0, 2, 0);
        foreach (byte irq in new byte[] { 5, 9, 10, 11 }) madt.Override(irq, irq, 0xD);
        return madt.LocalNmi(0xFF, 0, 1);
    }

    public static byte[] U16(ushort v) { var b = new byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(b, v); return b; }
    public static byte[] U32(uint v) { var b = new byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); return b; }
    public static byte[] U64(ulong v) { var b = new byte[8]; BinaryPrimitives.WriteUInt64LittleEndian(b, v); return b; }
}

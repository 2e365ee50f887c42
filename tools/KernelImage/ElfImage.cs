using System.Buffers.Binary;
using System.Text;

namespace Kernel.Tools;

/// <summary>A defined symbol of the linked kernel; Section indexes ElfImage.Sections.</summary>
public sealed record ElfSymbol(string Name, ulong Address, ulong Size, ElfSymbolType Type, int Section);

public enum ElfSymbolType : byte { NoType = 0, Object = 1, Function = 2, Section = 3, File = 4 }

/// <summary>
/// Reads the parts of an ELF64 little-endian file the tools need: sections and the symbol table
/// (System V ABI gABI, "Sections" and "Symbol Table"; x86-64 psABI for the machine number).
/// </summary>
public sealed class ElfImage
{
    private const uint SectionTypeSymbolTable = 2;
    private const ushort SectionIndexUndefined = 0;
    private const ushort SectionIndexReserved = 0xFF00;

    public byte[] Bytes { get; }
    public IReadOnlyList<ElfSection> Sections { get; }

    public ElfImage(byte[] bytes)
    {
        Bytes = bytes;
        if (bytes.Length < 64 || bytes[0] != 0x7F || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (bytes[4] != 2 || bytes[5] != 1) throw new InvalidDataException("not a 64-bit little-endian ELF file");
        Sections = ReadSections();
    }

    public static ElfImage Load(string path) => new(File.ReadAllBytes(path));

    public ElfSection? Section(string name) => Sections.FirstOrDefault(s => s.Name == name);

    /// <summary>The file bytes behind an address range of a section (which must hold it).</summary>
    public ReadOnlySpan<byte> Contents(ElfSection section, ulong address, ulong length) =>
        Bytes.AsSpan(checked((int)(section.Offset + (address - section.Address))), checked((int)length));

    public IEnumerable<ElfSymbol> Symbols()
    {
        foreach (var table in Sections.Where(s => s.Type == SectionTypeSymbolTable))
        {
            var strings = Sections[(int)table.Link];
            for (ulong offset = table.Offset; offset + 24 <= table.Offset + table.Size; offset += 24)
            {
                var entry = Bytes.AsSpan((int)offset, 24);
                uint nameOffset = BinaryPrimitives.ReadUInt32LittleEndian(entry);
                var type = (ElfSymbolType)(entry[4] & 0xF);
                ushort sectionIndex = BinaryPrimitives.ReadUInt16LittleEndian(entry[6..]);
                ulong value = BinaryPrimitives.ReadUInt64LittleEndian(entry[8..]);
                ulong size = BinaryPrimitives.ReadUInt64LittleEndian(entry[16..]);
                if (sectionIndex == SectionIndexUndefined || sectionIndex >= SectionIndexReserved) continue;
                yield return new ElfSymbol(ReadString(strings, nameOffset), value, size, type, sectionIndex);
            }
        }
    }

    private List<ElfSection> ReadSections()
    {
        ulong tableOffset = BinaryPrimitives.ReadUInt64LittleEndian(Bytes.AsSpan(0x28));
        ushort entrySize = BinaryPrimitives.ReadUInt16LittleEndian(Bytes.AsSpan(0x3A));
        ushort count = BinaryPrimitives.ReadUInt16LittleEndian(Bytes.AsSpan(0x3C));
        ushort namesIndex = BinaryPrimitives.ReadUInt16LittleEndian(Bytes.AsSpan(0x3E));
        if (entrySize < 64 || tableOffset + (ulong)count * entrySize > (ulong)Bytes.Length)
            throw new InvalidDataException("ELF section table lies outside the file");

        var raw = new List<(uint Name, uint Type, ulong Flags, ulong Address, ulong Offset, ulong Size, uint Link)>();
        for (int i = 0; i < count; i++)
        {
            var header = Bytes.AsSpan((int)(tableOffset + (ulong)(i * entrySize)), 64);
            raw.Add((BinaryPrimitives.ReadUInt32LittleEndian(header), BinaryPrimitives.ReadUInt32LittleEndian(header[4..]),
                     BinaryPrimitives.ReadUInt64LittleEndian(header[8..]), BinaryPrimitives.ReadUInt64LittleEndian(header[16..]),
                     BinaryPrimitives.ReadUInt64LittleEndian(header[24..]), BinaryPrimitives.ReadUInt64LittleEndian(header[32..]),
                     BinaryPrimitives.ReadUInt32LittleEndian(header[40..])));
        }

        var sections = raw.Select(r => new ElfSection("", r.Type, r.Flags, r.Address, r.Offset, r.Size, r.Link)).ToList();
        if (namesIndex < sections.Count)
            for (int i = 0; i < sections.Count; i++)
                sections[i] = sections[i] with { Name = ReadString(sections[namesIndex], raw[i].Name) };
        return sections;
    }

    private string ReadString(ElfSection table, uint offset)
    {
        int start = (int)(table.Offset + offset);
        int end = start;
        while (end < Bytes.Length && Bytes[end] != 0) end++;
        return Encoding.ASCII.GetString(Bytes, start, end - start);
    }
}

public sealed record ElfSection(string Name, uint Type, ulong Flags, ulong Address, ulong Offset, ulong Size, uint Link)
{
    private const uint TypeNoBits = 8;

    public ulong End => Address + Size;
    public bool HasFileContents => Type != TypeNoBits;
    public bool Contains(ulong address) => address >= Address && address < End;
}

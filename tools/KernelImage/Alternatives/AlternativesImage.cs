using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Kernel.Arch;

namespace Kernel.Tools.Alternatives;

/// <summary>
/// The linked kernel as the alternatives pass sees it: the functions of .text and of the trampoline's 64-bit
/// part (a uniprocessor build has none), the AltReplacement records, and the .alt_locks table (layouts from Arch.x86/AsmShared/Alternatives.cs).
/// </summary>
public sealed class AlternativesImage
{
    private const string ManagedPrefix = "Kernel_";   // ilc's mangling of our module's name: preferred as a function's display name
    private static readonly int RecordSize = Marshal.SizeOf<AltReplacement>();
    private static readonly int SiteOffset = (int)Marshal.OffsetOf<AltReplacement>(nameof(AltReplacement.Site));
    private static readonly int LengthOffset = (int)Marshal.OffsetOf<AltReplacement>(nameof(AltReplacement.Length));
    private static readonly int KindOffset = (int)Marshal.OffsetOf<AltReplacement>(nameof(AltReplacement.Kind));
    private static readonly int FeatureOffset = (int)Marshal.OffsetOf<AltReplacement>(nameof(AltReplacement.Feature));
    private static readonly int HeaderSize = Marshal.SizeOf<AltLockTable>();
    private static readonly int MagicOffset = (int)Marshal.OffsetOf<AltLockTable>(nameof(AltLockTable.Magic));
    private static readonly int CountOffset = (int)Marshal.OffsetOf<AltLockTable>(nameof(AltLockTable.Count));
    private static readonly int CapacityOffset = (int)Marshal.OffsetOf<AltLockTable>(nameof(AltLockTable.Capacity));
    private static readonly int FromManagedCodeOffset = (int)Marshal.OffsetOf<AltLockTable>(nameof(AltLockTable.FromManagedCode));

    public required CodeImage Code { get; init; }
    public required ElfSection LockTable { get; init; }
    public required int Capacity { get; init; }

    /// <summary>The image's parts, or null with the reasons in problems when one is missing or malformed.</summary>
    public static AlternativesImage? Read(ElfImage elf, List<string> problems)
    {
        var text = elf.Section(".text");
        var replacements = elf.Section(".alt_replacements");
        var lockTable = elf.Section(".alt_locks");
        var symbols = elf.Symbols().Where(s => s.Type is not (ElfSymbolType.Section or ElfSymbolType.File)).ToList();
        var textStart = symbols.FirstOrDefault(s => s.Name == "__text_start");
        var trampolineEntry = symbols.FirstOrDefault(s => s.Name == "trampoline_long_entry");
        var trampolineEnd = symbols.FirstOrDefault(s => s.Name == "trampoline_end");

        int problemsBefore = problems.Count;
        foreach (var (name, section) in new[] { (".text", text), (".alt_replacements", replacements), (".alt_locks", lockTable) })
            if (section is not { HasFileContents: true }) problems.Add($"the image has no section {name} with contents");
        if (textStart == null) problems.Add("the image has no symbol __text_start");
        if ((trampolineEntry == null) != (trampolineEnd == null))   // both absent: a uniprocessor build, no trampoline
            problems.Add($"the image has no symbol {(trampolineEntry == null ? "trampoline_long_entry" : "trampoline_end")}");
        if (problems.Count > problemsBefore) return null;

        if (replacements!.Size % (ulong)RecordSize != 0)
            problems.Add($".alt_replacements is {replacements.Size} bytes, not a whole number of {RecordSize}-byte AltReplacement records");
        var table = elf.Contents(lockTable!, lockTable!.Address, Math.Min(lockTable.Size, (ulong)HeaderSize));
        uint magic = table.Length == HeaderSize ? BinaryPrimitives.ReadUInt32LittleEndian(table[MagicOffset..]) : 0;
        uint capacity = table.Length == HeaderSize ? BinaryPrimitives.ReadUInt32LittleEndian(table[CapacityOffset..]) : 0;
        if (magic != AlternativesLayout.LockTableMagic)
            problems.Add($".alt_locks does not start with an AltLockTable (magic 0x{magic:x8}, expected 0x{AlternativesLayout.LockTableMagic:x8})");
        else if (capacity != AlternativesLayout.MaxLockSites || lockTable.Size != (ulong)HeaderSize + capacity * sizeof(uint))
            problems.Add($".alt_locks is {lockTable.Size} bytes for a capacity of {capacity}: expected {AlternativesLayout.MaxLockSites} slots after a {HeaderSize}-byte header");
        if (problems.Count > problemsBefore) return null;

        var functions = Functions(elf, text!, text!.Address, text.End, symbols);
        if (trampolineEntry != null)
            functions.AddRange(Functions(elf, elf.Sections[trampolineEntry.Section], trampolineEntry.Address, trampolineEnd!.Address, symbols));
        return new AlternativesImage
        {
            Code = new CodeImage(textStart!.Address, text.End, functions, ReadReplacements(elf, replacements))
            {
                Omitted = trampolineEntry == null ? new HashSet<string> { "trampoline_long_entry" } : new HashSet<string>(),
            },
            LockTable = lockTable,
            Capacity = (int)capacity,
        };
    }

    /// <summary>
    /// The functions of [start, end) in a section: one per address that has symbols (aliases share it; NASM's
    /// local labels, "function.label", stay inside their function), each running to the next. Code before the
    /// first symbol is decoded too, under the section's name.
    /// </summary>
    private static List<CodeFunction> Functions(ElfImage elf, ElfSection section, ulong start, ulong end, List<ElfSymbol> symbols)
    {
        var starts = new List<(ulong Address, List<string> Names, bool Managed)>();
        foreach (var group in symbols
                     .Where(s => elf.Sections[s.Section] == section && s.Address >= start && s.Address < end)
                     .GroupBy(s => s.Address)
                     .OrderBy(g => g.Key))
        {
            var names = group.OrderByDescending(s => s.Name.StartsWith(ManagedPrefix, StringComparison.Ordinal))
                             .ThenByDescending(s => s.Type == ElfSymbolType.Function)
                             .Select(s => s.Name).Distinct().ToList();
            bool isLocalLabel = starts.Count > 0 && names.All(n => starts[^1].Names.Any(f => n.StartsWith(f + ".", StringComparison.Ordinal)));
            // ilc marks every method body STT_FUNC; NASM's labels are STT_NOTYPE. (Not every ilc name carries
            // the module prefix: corelib types such as String are mangled without it.)
            if (!isLocalLabel) starts.Add((group.Key, names, group.Any(s => s.Type == ElfSymbolType.Function)));
        }
        if (starts.Count == 0 || starts[0].Address != start) starts.Insert(0, (start, [section.Name], false));

        var functions = new List<CodeFunction>();
        for (int i = 0; i < starts.Count; i++)
        {
            ulong functionEnd = i + 1 < starts.Count ? starts[i + 1].Address : end;
            byte[] code = elf.Contents(section, starts[i].Address, functionEnd - starts[i].Address).ToArray();
            functions.Add(new CodeFunction(starts[i].Names, starts[i].Address, code, starts[i].Managed));
        }
        return functions;
    }

    private static List<ReplacementRange> ReadReplacements(ElfImage elf, ElfSection section)
    {
        var records = new List<ReplacementRange>();
        var bytes = elf.Contents(section, section.Address, section.Size);
        for (int offset = 0; offset + RecordSize <= bytes.Length; offset += RecordSize)
        {
            var record = bytes.Slice(offset, RecordSize);
            records.Add(new ReplacementRange(BinaryPrimitives.ReadUInt64LittleEndian(record[SiteOffset..]), record[LengthOffset], record[KindOffset],
                                             BinaryPrimitives.ReadUInt16LittleEndian(record[FeatureOffset..])));
        }
        return records;
    }

    /// <summary>The whole .alt_locks section for these sites: header, offsets from __text_start ascending, zeroed free slots.</summary>
    public byte[] EncodeLockTable(AlternativesResult result)
    {
        var table = new byte[LockTable.Size];
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(MagicOffset), AlternativesLayout.LockTableMagic);
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(CountOffset), (uint)result.LockSites.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(CapacityOffset), (uint)Capacity);
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(FromManagedCodeOffset), (uint)result.FromManagedCode);
        for (int i = 0; i < result.LockSites.Count; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(HeaderSize + i * sizeof(uint)), (uint)(result.LockSites[i].PrefixAddress - Code.TextStart));
        return table;
    }

    /// <summary>How the table in the image differs from the one these sites need (nothing when it is exactly that).</summary>
    public List<string> CompareLockTable(ElfImage elf, AlternativesResult result)
    {
        var problems = new List<string>();
        var actual = elf.Contents(LockTable, LockTable.Address, LockTable.Size);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(actual[CountOffset..]);
        uint fromManagedCode = BinaryPrimitives.ReadUInt32LittleEndian(actual[FromManagedCodeOffset..]);
        if (count > Capacity)
            return [$".alt_locks claims {count} sites in {Capacity} slots"];
        if (count != result.LockSites.Count || fromManagedCode != result.FromManagedCode)
            problems.Add($".alt_locks holds {count} sites ({fromManagedCode} in C#); the image has {result.LockSites.Count} ({result.FromManagedCode} in C#)");

        var listed = new HashSet<ulong>();
        for (int i = 0; i < Capacity; i++)
        {
            uint offset = BinaryPrimitives.ReadUInt32LittleEndian(actual[(HeaderSize + i * sizeof(uint))..]);
            if (i < count) listed.Add(Code.TextStart + offset);
            else if (offset != 0) problems.Add($".alt_locks slot {i}, past the count, holds 0x{offset:x}");
        }
        var expected = result.LockSites.ToDictionary(s => s.PrefixAddress);
        foreach (var site in result.LockSites.Where(s => !listed.Contains(s.PrefixAddress)))
            problems.Add($"{site.Location}: {site.Disassembly}: the lock site is missing from .alt_locks");
        foreach (ulong address in listed.Where(a => !expected.ContainsKey(a)).Order())
            problems.Add($"0x{address:x}: .alt_locks lists __text_start+0x{address - Code.TextStart:x}, which is no lock site");
        if (problems.Count == 0 && !actual.SequenceEqual(EncodeLockTable(result)))
            problems.Add(".alt_locks holds the right sites but not in ascending order");
        return problems;
    }
}

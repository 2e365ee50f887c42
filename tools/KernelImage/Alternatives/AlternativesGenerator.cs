using Iced.Intel;
using Kernel.Arch;

namespace Kernel.Tools.Alternatives;

/// <summary>
/// Code to decode as 64-bit: one function of the linked kernel (every symbol at its address in Names, the
/// name shown first), from its symbol to the next function. Managed functions were compiled by ilc.
/// </summary>
public sealed record CodeFunction(IReadOnlyList<string> Names, ulong Address, byte[] Code, bool IsManaged)
{
    public CodeFunction(string name, ulong address, byte[] code, bool isManaged) : this([name], address, code, isManaged) { }

    public string Name => Names[0];
    public ulong End => Address + (ulong)Code.Length;
}

/// <summary>One AltReplacement record: the bytes [Site, Site + Length) it rewrites.</summary>
public sealed record ReplacementRange(ulong Site, int Length, byte Kind, ushort Feature)
{
    public ulong End => Site + (ulong)Length;
}

/// <summary>What the pass reads: .text's bounds (lock offsets are from its start), its code, the replacement records.</summary>
public sealed record CodeImage(ulong TextStart, ulong TextEnd, IReadOnlyList<CodeFunction> Functions, IReadOnlyList<ReplacementRange> Replacements)
{
    /// <summary>Symbols this build leaves out on purpose (the trampoline of a MaxCpus=1 kernel): keep-list entries naming them are not stale.</summary>
    public IReadOnlySet<string> Omitted { get; init; } = new HashSet<string>();
}

/// <summary>A locked instruction: where its 0xF0 byte is, the instruction, and the function it belongs to.</summary>
public sealed record LockedInstruction(ulong PrefixAddress, ulong InstructionAddress, string Location, string Disassembly);

public sealed class AlternativesResult
{
    /// <summary>The lock table: sites to unlock on one CPU, by prefix address, ascending.</summary>
    public required IReadOnlyList<LockedInstruction> LockSites { get; init; }
    public required int FromManagedCode { get; init; }
    public required int UpSequences { get; init; }
    public required int FeatureSites { get; init; }
    /// <summary>Locked instructions a replacement record rewrites (the record accounts for them).</summary>
    public required int LocksInReplacements { get; init; }
    public required IReadOnlyList<LockedInstruction> Kept { get; init; }
    public required IReadOnlyList<string> Errors { get; init; }

    public string Summary =>
        $"alternatives: {LockSites.Count} lock sites ({FromManagedCode} in C#, {LockSites.Count - FromManagedCode} in asm), " +
        $"{UpSequences + FeatureSites} replacement sites ({UpSequences} UP/SMP {(UpSequences == 1 ? "sequence" : "sequences")}, " +
        $"{FeatureSites} CPU-feature), {Kept.Count} kept locked";
}

/// <summary>
/// Finds every lock prefix the kernel may drop on one CPU by decoding each function (a byte scan would also
/// find 0xF0 in immediates and displacements), and rejects every locked instruction nobody accounts for.
/// </summary>
public static class AlternativesGenerator
{
    private const byte LockPrefix = 0xF0;
    private const byte DsPrefix = 0x3E;   // what a lock prefix becomes on one CPU: same length, no effect

    public static AlternativesResult Generate(CodeImage image, KeepLockedList keep, int capacity)
    {
        var errors = new List<string>();
        var replacements = CheckReplacements(image, errors);
        var sites = new List<LockedInstruction>();
        var kept = new List<LockedInstruction>();
        var keptBySymbol = new HashSet<string>();
        int locksInReplacements = 0;

        foreach (var function in image.Functions)
        {
            string? keptAs = function.Names.FirstOrDefault(keep.Contains);
            var decoder = Decoder.Create(64, new ByteArrayCodeReader(function.Code), function.Address);
            while (decoder.IP < function.End)
            {
                ulong address = decoder.IP;
                decoder.Decode(out var instruction);
                string where = $"0x{address:x} {function.Name}+0x{address - function.Address:x}";
                if (instruction.IsInvalid)
                {
                    errors.Add($"{where}: cannot decode the instruction here ({decoder.LastError}); check that the symbol starts 64-bit code");
                    break;
                }

                var range = ReplacementAt(replacements, address);
                if (range != ReplacementAt(replacements, instruction.NextIP - 1))
                    errors.Add($"{where}: {Disassemble(instruction)} straddles the edge of a replacement site: the record and the code disagree on instruction boundaries");

                bool isSwapWithMemory = instruction.Mnemonic == Mnemonic.Xchg && (instruction.Op0Kind == OpKind.Memory || instruction.Op1Kind == OpKind.Memory);
                if (!instruction.HasLockPrefix && !isSwapWithMemory) continue;

                var code = function.Code.AsSpan((int)(address - function.Address), instruction.Length);
                int prefix = instruction.HasLockPrefix ? LockPrefixOffset(code) : 0;
                var locked = new LockedInstruction(address + (ulong)Math.Max(prefix, 0), address, where, Disassemble(instruction));
                if (range != null)
                    locksInReplacements++;
                else if (keptAs != null)
                {
                    kept.Add(locked);
                    keptBySymbol.Add(keptAs);
                }
                else if (isSwapWithMemory)
                    errors.Add($"{where}: {locked.Disassembly}: implicitly locked: use Atomic.Swap (a lock cmpxchg loop) or list the function in keep-locked.txt");
                else if (!function.IsManaged)
                    errors.Add($"{where}: {locked.Disassembly}: an asm lock prefix must sit inside an ALTERNATIVE sequence or be listed in keep-locked.txt");
                else if (CheckLockSite(code, prefix, instruction, locked, image, errors))
                    sites.Add(locked);
            }
        }

        var names = image.Functions.SelectMany(f => f.Names).ToHashSet();
        foreach (var entry in keep.Entries)
        {
            if (image.Omitted.Contains(entry.Symbol))
                continue;   // a part this build leaves out (the trampoline of a uniprocessor build): nothing to keep
            if (!names.Contains(entry.Symbol))
                errors.Add($"{entry.Where}: {entry.Symbol} is not a function in the image: remove the stale entry");
            else if (!keptBySymbol.Contains(entry.Symbol))
                errors.Add($"{entry.Where}: {entry.Symbol} has no locked instruction left to keep: remove the stale entry");
        }
        errors.AddRange(keep.Problems);

        if (sites.Count > capacity)
            errors.Add($"{sites.Count} lock sites do not fit the table's {capacity} slots: raise AlternativesLayout.MaxLockSites");

        return new AlternativesResult
        {
            LockSites = sites.OrderBy(s => s.PrefixAddress).ToList(),
            FromManagedCode = sites.Count,   // asm lock prefixes sit in ALTERNATIVE sequences instead
            UpSequences = replacements.Count(r => r.Kind == AltKind.UpSequence),
            FeatureSites = replacements.Count(r => r.Kind == AltKind.Feature),
            LocksInReplacements = locksInReplacements,
            Kept = kept,
            Errors = errors,
        };
    }

    /// <summary>
    /// Where the 0xF0 byte sits among the instruction's legacy prefixes (they come in any order before REX and
    /// the opcode); -1 unless there is exactly one.
    /// </summary>
    public static int LockPrefixOffset(ReadOnlySpan<byte> instruction)
    {
        int found = -1;
        for (int i = 0; i < instruction.Length && IsLegacyPrefix(instruction[i]); i++)
        {
            if (instruction[i] != LockPrefix) continue;
            if (found >= 0) return -1;
            found = i;
        }
        return found;
    }

    private static bool IsLegacyPrefix(byte value) =>
        value is LockPrefix or 0xF2 or 0xF3 or 0x2E or 0x36 or DsPrefix or 0x26 or 0x64 or 0x65 or 0x66 or 0x67;

    /// <summary>
    /// A site goes in the table only if its prefix is where the table says and rewriting it to 3E leaves the
    /// same instruction, unlocked, of the same length: the decoder's view of the patched site.
    /// </summary>
    private static bool CheckLockSite(ReadOnlySpan<byte> code, int prefix, in Instruction instruction, LockedInstruction site, CodeImage image, List<string> errors)
    {
        if (prefix < 0)
        {
            errors.Add($"{site.Location}: {site.Disassembly}: cannot find exactly one 0xF0 byte among its prefixes");
            return false;
        }
        if (site.PrefixAddress < image.TextStart || site.PrefixAddress >= image.TextEnd)
        {
            errors.Add($"{site.Location}: {site.Disassembly}: the lock site lies outside .text, where the table cannot reach");
            return false;
        }

        byte[] patched = code.ToArray();
        patched[prefix] = DsPrefix;
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(patched), site.InstructionAddress);
        decoder.Decode(out var unlocked);
        if (unlocked.IsInvalid || unlocked.Length != instruction.Length || unlocked.Mnemonic != instruction.Mnemonic || unlocked.HasLockPrefix)
        {
            errors.Add($"{site.Location}: {site.Disassembly}: with 3E for its lock prefix it decodes as '{Disassemble(unlocked)}' ({unlocked.Length} bytes), not the same instruction unlocked");
            return false;
        }
        return true;
    }

    /// <summary>The records sorted by site, after checking each lies in .text and none overlaps another.</summary>
    private static List<ReplacementRange> CheckReplacements(CodeImage image, List<string> errors)
    {
        var sorted = image.Replacements.OrderBy(r => r.Site).ToList();
        ReplacementRange? previous = null;
        foreach (var record in sorted)
        {
            string where = $"replacement record for 0x{record.Site:x}";
            if (record.Length is < 1 or > AlternativesLayout.MaxReplacementLength)
                errors.Add($"{where}: length {record.Length} is not 1..{AlternativesLayout.MaxReplacementLength}");
            if (record.Site < image.TextStart || record.End > image.TextEnd)
                errors.Add($"{where}: the site lies outside .text (0x{image.TextStart:x}..0x{image.TextEnd:x})");
            if (record.Kind is not (AltKind.UpSequence or AltKind.Feature))
                errors.Add($"{where}: kind {record.Kind} is neither AltKind.UpSequence nor AltKind.Feature");
            if (previous != null && previous.End > record.Site)
                errors.Add($"{where}: overlaps the record for 0x{previous.Site:x} ({previous.Length} bytes)");
            previous = record;
        }
        return sorted;
    }

    private static ReplacementRange? ReplacementAt(List<ReplacementRange> sorted, ulong address)
    {
        int low = 0, high = sorted.Count - 1;
        while (low <= high)
        {
            int middle = (low + high) / 2;
            if (address < sorted[middle].Site) high = middle - 1;
            else if (address >= sorted[middle].End) low = middle + 1;
            else return sorted[middle];
        }
        return null;
    }

    private static string Disassemble(in Instruction instruction)
    {
        var output = new StringOutput();
        new NasmFormatter().Format(instruction, output);
        return output.ToStringAndReset();
    }
}

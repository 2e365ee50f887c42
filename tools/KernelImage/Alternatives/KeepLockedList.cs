namespace Kernel.Tools.Alternatives;

/// <summary>One entry of keep-locked.txt: a function whose locked instructions stay locked even on one CPU.</summary>
public sealed record KeepLockedEntry(string Symbol, string Reason, string Where);

/// <summary>
/// Arch.x86/Alternatives/keep-locked.txt: one `symbol  # reason` a line; `#` starts a comment, blank lines are
/// ignored. Each entry must say why, so that the list stays an audit of what single-CPU mode leaves locked.
/// </summary>
public sealed class KeepLockedList
{
    public static readonly KeepLockedList Empty = new([], []);

    public IReadOnlyList<KeepLockedEntry> Entries { get; }
    public IReadOnlyList<string> Problems { get; }
    private readonly HashSet<string> _symbols;

    private KeepLockedList(List<KeepLockedEntry> entries, List<string> problems)
    {
        Entries = entries;
        Problems = problems;
        _symbols = entries.Select(e => e.Symbol).ToHashSet();
    }

    public bool Contains(string symbol) => _symbols.Contains(symbol);

    public static KeepLockedList Load(string path) => Parse(File.ReadAllText(path), path);

    public static KeepLockedList Parse(string text, string path)
    {
        var entries = new List<KeepLockedEntry>();
        var problems = new List<string>();
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string where = $"{path}({i + 1})";
            string line = lines[i].Trim();
            int hash = line.IndexOf('#');
            string symbol = (hash < 0 ? line : line[..hash]).Trim();
            string reason = hash < 0 ? "" : line[(hash + 1)..].Trim();
            if (symbol.Length == 0) continue;

            if (symbol.Any(char.IsWhiteSpace))
                problems.Add($"{where}: '{symbol}' is not one symbol (write `symbol  # reason`)");
            else if (reason.Length == 0)
                problems.Add($"{where}: {symbol} needs a reason (write `{symbol}  # why it stays locked on one CPU`)");
            else if (entries.Any(e => e.Symbol == symbol))
                problems.Add($"{where}: {symbol} is listed twice");
            else
                entries.Add(new KeepLockedEntry(symbol, reason, where));
        }
        return new KeepLockedList(entries, problems);
    }
}

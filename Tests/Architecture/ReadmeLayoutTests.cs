using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using NUnit.Framework;

namespace Kernel.Tests.Architecture;

/// <summary>
/// README.md's layout table matches the tree: every path it names exists, and every folder of Kernel/ and Arch.x86/
/// and every top-level entry but the README itself is named (itself, or through a path inside it). A row may name
/// paths short: one without a folder may be in the folder of the path before it (`Kernel/Diagnostics/ConsoleInput.cs`,
/// `LogRing.cs`), and any may be under the top folder of the row's first path (`Arch.x86/...`, `Bridge/Locks.asm`).
/// </summary>
public partial class ReadmeLayoutTests
{
    static string Repo([CallerFilePath] string thisFile = "") => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", ".."));

    static readonly Lazy<List<string>> Named = new(() => NamedPaths(File.ReadAllLines(Path.Combine(Repo(), "README.md"))));

    [Test]
    public void Every_path_in_the_layout_table_exists()
    {
        var missing = Named.Value.Where(p => !File.Exists(Path.Combine(Repo(), p)) && !Directory.Exists(Path.Combine(Repo(), p))).ToList();
        Assert.That(missing, Is.Empty);
    }

    [Test]
    public void Every_folder_of_the_kernel_is_in_the_layout_table()
    {
        var root = Repo();
        var entries = Directory.GetFileSystemEntries(root)
            .Select(Path.GetFileName).Where(n => !n!.StartsWith('.') && n is not ("artifacts" or "README.md"))
            .Concat(new[] { "Kernel", "Arch.x86" }.SelectMany(top => Directory.GetDirectories(Path.Combine(root, top))
                .Select(d => top + "/" + Path.GetFileName(d)).Where(d => !d.EndsWith("/bin") && !d.EndsWith("/obj"))))
            .Select(n => n!.TrimEnd('/'))
            .ToList();
        var unnamed = entries.Where(e => !Named.Value.Any(p => p.TrimEnd('/') == e || p.StartsWith(e + "/", StringComparison.Ordinal))).ToList();
        Assert.That(unnamed, Is.Empty);
    }

    static List<string> NamedPaths(string[] readme)
    {
        int start = Array.IndexOf(readme, "## Layout");
        Assert.That(start, Is.GreaterThanOrEqualTo(0), "README.md has a ## Layout section");
        var paths = new List<string>();
        foreach (var line in readme.Skip(start + 1).TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal)))
        {
            if (!line.StartsWith("| `", StringComparison.Ordinal)) continue;
            var cell = line.Split('|')[1];
            string? first = null, previous = null;
            foreach (Match match in Backticked().Matches(cell))
            {
                var named = match.Groups[1].Value;
                var candidates = new List<string>();
                if (named.Contains('/') || previous is null) candidates.Add(named);
                if (previous is not null && Path.GetDirectoryName(previous.TrimEnd('/')) is { Length: > 0 } folder) candidates.Add(folder.Replace('\\', '/') + "/" + named);
                if (first is not null && first.Contains('/')) candidates.Add(first.Split('/')[0] + "/" + named);
                if (!candidates.Contains(named)) candidates.Add(named);
                var path = candidates.FirstOrDefault(Exists) ?? candidates[0];
                first ??= path;
                previous = path;
                paths.Add(path);
            }
        }
        return paths;
    }

    static bool Exists(string path) => File.Exists(Path.Combine(Repo(), path)) || Directory.Exists(Path.Combine(Repo(), path));

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Backticked();
}

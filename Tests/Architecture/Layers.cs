namespace Kernel.Tests.Architecture;

/// <summary>
/// The kernel's layers, bottom first (docs/layers.md draws them): a type may refer to types of its own layer and of
/// the layers below, never above. Each repository folder (or file) belongs to exactly one layer; the longest
/// matching prefix decides.
/// </summary>
public static class Layers
{
    public static readonly IReadOnlyList<(int Layer, string Name, string[] Paths)> Table =
    [
        (0, "runtime and lib", ["Kernel/Runtime/", "Kernel/Lib/"]),
        (1, "arch", ["Arch.x86/"]),
        (2, "kernel", ["Kernel/Diagnostics/", "Kernel/Memory/", "Kernel/Sync/", "Kernel/Smp/", "Kernel/Proc/", "Kernel/Panic.cs", "Kernel/CommandLine.cs"]),
        (3, "servers, shell, tests", ["Kernel/Servers/", "Kernel/Shell/", "Kernel/Testing/", "Kernel/SelfTests/", "Kernel/Bench/", "Kernel/KernelMain.cs"]),
    ];

    // Files the build generates (under Kernel/obj/): the build settings, read by every layer, and the self-test list.
    static readonly IReadOnlyList<(string File, string Stands)> Generated =
    [
        ("BuildConfiguration.g.cs", "Kernel/Lib/"),
        ("SelfTestRegistry.g.cs", "Kernel/Testing/"),
    ];

    /// <summary>Where a generated file counts as being, or the path itself.</summary>
    public static string Placed(string path) =>
        path.Contains("/obj/", StringComparison.Ordinal) && Generated.FirstOrDefault(g => path.EndsWith("/" + g.File, StringComparison.Ordinal)) is { Stands: { } stands }
            ? stands + Path.GetFileName(path)
            : path;

    /// <summary>The layer of a repository path, or null for a path no entry covers.</summary>
    public static (int Layer, string Name)? Of(string path) => Entry(path) is { } entry ? (entry.Layer, entry.Name) : null;

    /// <summary>The table entry (a folder, or a file) a path belongs to: the unit the cycle check works on.</summary>
    public static string? UnitOf(string path) => Entry(path)?.Prefix;

    static (int Layer, string Name, string Prefix)? Entry(string path)
    {
        path = Placed(path);
        (int, string, string)? best = null;
        foreach (var (layer, name, paths) in Table)
            foreach (var prefix in paths)
                if (path.StartsWith(prefix, StringComparison.Ordinal) && prefix.Length > (best?.Item3.Length ?? -1))
                    best = (layer, name, prefix);
        return best;
    }

    /// <summary>The folder a path's type reports under: its directory, with the file for top-level files.</summary>
    public static string FolderOf(string path) => Path.GetDirectoryName(path)!.Replace('\\', '/');

    /// <summary>
    /// The namespace a file's types must have: `Kernel` for Kernel/, `Kernel.Arch` for Arch.x86/, then one segment per
    /// subfolder; folders that sort files by how they are built (AsmShared: shared with asm; Bridge: the asm imports)
    /// add none. Null for Kernel/Runtime/, whose types carry the corelib's namespaces (System, Internal.Runtime).
    /// </summary>
    public static string? ExpectedNamespace(string path)
    {
        if (path.Contains("/obj/", StringComparison.Ordinal) || path.StartsWith("Kernel/Runtime/", StringComparison.Ordinal)) return null;
        var segments = FolderOf(path).Split('/');
        var root = segments[0] switch { "Kernel" => "Kernel", "Arch.x86" => "Kernel.Arch", _ => null };
        if (root is null) return null;
        return string.Join('.', new[] { root }.Concat(segments.Skip(1).Where(s => s is not ("AsmShared" or "Bridge"))));
    }
}

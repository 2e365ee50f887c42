namespace KernelRunner;

/// <summary>
/// The repository root (the folder holding Kernel.sln) and where the kernel build puts its artifacts. A kernel
/// variant (<see cref="Variant"/>, "maxcpus1" for `-p:MaxCpus=1`) has its own folder beside the default build's.
/// </summary>
public sealed record RepoLayout(string Root, string Variant = "")
{
    public const string SolutionFile = "Kernel.sln";

    public const string UniprocessorVariant = "maxcpus1";

    public const string BuildHint = "build the kernel first: dotnet build Kernel.sln";

    public string BootArtifacts => Path.Combine(Root, "artifacts", Variant.Length == 0 ? "boot" : $"boot-{Variant}");
    public string KernelIso => Path.Combine(BootArtifacts, "kernel.iso");
    public string KernelElf => Path.Combine(BootArtifacts, "kernel.elf");

    /// <summary>The kernel's IL assembly, whose metadata lists the in-guest self-tests.</summary>
    public string KernelAssembly => Path.Combine(BootArtifacts, "Kernel.dll");

    /// <summary>
    /// Walks up from each start directory in turn. The working directory comes first so `dotnet path/KernelRunner.dll`
    /// run inside a checkout uses that checkout; the binary's own folder is the fallback.
    /// </summary>
    public static RepoLayout Find(params string[] startDirectories)
    {
        foreach (var start in startDirectories)
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, SolutionFile)))
                    return new RepoLayout(directory.FullName);
            }
        }
        throw new DirectoryNotFoundException(
            $"no {SolutionFile} in any parent of {string.Join(" or ", startDirectories)}: run from inside the repository");
    }
}

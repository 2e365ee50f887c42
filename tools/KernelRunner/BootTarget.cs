namespace KernelRunner;

/// <summary>The checkout a command runs in and the ISO it boots: what `run` and tools/BenchReport check before any boot.</summary>
public sealed record BootTarget(RepoLayout Repo, string IsoPath)
{
    /// <summary>
    /// The repository around the working directory and <paramref name="iso"/> (default: the build's ISO), or null with
    /// <paramref name="problem"/> saying what to install or build when QEMU is missing or too old, or the ISO is missing.
    /// </summary>
    public static BootTarget? Find(FileInfo? iso, out string problem)
    {
        problem = "";
        if (HostPrerequisites.QemuProblem is { } qemuProblem)
        {
            problem = qemuProblem;
            return null;
        }
        var repo = RepoLayout.Find(Environment.CurrentDirectory, AppContext.BaseDirectory);
        var isoPath = iso?.FullName ?? repo.KernelIso;
        if (!File.Exists(isoPath))
        {
            problem = $"{isoPath} does not exist: {RepoLayout.BuildHint}";
            return null;
        }
        return new BootTarget(repo, isoPath);
    }
}

using System.Diagnostics;
using System.Globalization;
using KernelRunner;

namespace BenchReport;

/// <summary>Collects <see cref="RunMetadata"/> from the host: /proc/cpuinfo, `qemu-system-x86_64 --version`, git.</summary>
public static class HostInfo
{
    public static RunMetadata Collect(RepoLayout repo, bool uefi, TimeSpan timeout) => new(
        DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        GitCommit(repo.Root),
        CpuModel(),
        Environment.ProcessorCount,
        FirstLine(Output(HostPrerequisites.QemuExecutable, "--version")) ?? "unknown",
        uefi ? "OVMF (UEFI)" : "SeaBIOS",
        timeout.TotalSeconds);

    static string CpuModel()
    {
        const string cpuInfo = "/proc/cpuinfo";
        var model = File.Exists(cpuInfo)
            ? File.ReadLines(cpuInfo).FirstOrDefault(line => line.StartsWith("model name", StringComparison.Ordinal))
            : null;
        return model is null ? "unknown" : model[(model.IndexOf(':') + 1)..].Trim();
    }

    /// <summary>HEAD's hash, with `-dirty` when the work tree has changes: numbers from uncommitted code say so.</summary>
    static string GitCommit(string root)
    {
        var head = FirstLine(Output("git", "-C", root, "rev-parse", "HEAD"));
        if (head is null) return "unknown";
        var changes = Output("git", "-C", root, "status", "--porcelain", "--untracked-files=no");
        return string.IsNullOrWhiteSpace(changes) ? head : head + "-dirty";
    }

    static string? FirstLine(string? text) => text?.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();

    static string? Output(string executable, params string[] args)
    {
        var startInfo = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
            startInfo.ArgumentList.Add(arg);
        try
        {
            using var process = Process.Start(startInfo);
            if (process is null) return null;
            var errors = process.StandardError.ReadToEndAsync();   // drained, unused: a full pipe would block the child
            var output = process.StandardOutput.ReadToEnd();
            errors.Wait();
            process.WaitForExit();
            return process.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;   // not installed
        }
    }
}

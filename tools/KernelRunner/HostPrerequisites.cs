namespace KernelRunner;

/// <summary>Finds QEMU (new enough) and the OVMF firmware on the host, saying how to install what is missing.</summary>
public static class HostPrerequisites
{
    public const string QemuExecutable = "qemu-system-x86_64";

    /// <summary>
    /// QEMU 9.0: TCG emulates x2APIC from 9.0 on, which the boot matrix needs. Debian 12 ships 7.2; its
    /// bookworm-backports suite ships 10.0 (tools/debian-packages.txt, installed by ./build.sh).
    /// </summary>
    public static readonly Version MinimumQemu = new(9, 0);

    const string InstallHint = "./build.sh build installs it as root (QEMU from Debian's bookworm-backports suite), or run tools/host-packages.sh --install for the commands";

    public const string OvmfMissingMessage =
        "UEFI firmware (OVMF) not found. Install it with: sudo apt-get install -y ovmf";

    const string OvmfCombinedImage = "/usr/share/ovmf/OVMF.fd";
    const string OvmfSplitCode = "/usr/share/OVMF/OVMF_CODE_4M.fd";
    const string OvmfSplitVars = "/usr/share/OVMF/OVMF_VARS_4M.fd";

    static readonly Lazy<string?> s_qemuProblem = new(FindQemuProblem);

    /// <summary>Null when a QEMU new enough is on PATH; otherwise one line naming what was found, what is needed and how to get it.</summary>
    public static string? QemuProblem => s_qemuProblem.Value;

    static string? FindQemuProblem()
    {
        var path = FindOnPath(QemuExecutable);
        if (path is null)
            return $"{QemuExecutable} not found on PATH; QEMU >= {MinimumQemu} is needed: {InstallHint}";
        var version = ParseQemuVersion(RunForOutput(path, "--version"));
        if (version is null)
            return $"{path} --version printed no version; QEMU >= {MinimumQemu} is needed: {InstallHint}";
        if (version < MinimumQemu)
            return $"{path} is QEMU {version}; QEMU >= {MinimumQemu} is needed: {InstallHint}";
        return null;
    }

    /// <summary>"QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2...)" → 10.0.2.</summary>
    public static Version? ParseQemuVersion(string versionOutput)
    {
        var match = System.Text.RegularExpressions.Regex.Match(versionOutput, @"version (\d+)\.(\d+)(?:\.(\d+))?");
        if (!match.Success) return null;
        return new Version(int.Parse(match.Groups[1].Value), int.Parse(match.Groups[2].Value),
            match.Groups[3].Success ? int.Parse(match.Groups[3].Value) : 0);
    }

    static string RunForOutput(string executable, string argument)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(executable, argument)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output;
    }

    /// <summary>
    /// QEMU arguments that load OVMF. The combined image goes in with -bios; the split code/vars pair needs
    /// pflash, and snapshot=on keeps the shared variable store read-only without copying it per run.
    /// </summary>
    public static IReadOnlyList<string> OvmfArgs()
    {
        if (File.Exists(OvmfCombinedImage))
            return ["-bios", OvmfCombinedImage];
        if (File.Exists(OvmfSplitCode) && File.Exists(OvmfSplitVars))
            return
            [
                "-drive", $"if=pflash,format=raw,unit=0,readonly=on,file={OvmfSplitCode}",
                "-drive", $"if=pflash,format=raw,unit=1,snapshot=on,file={OvmfSplitVars}",
            ];
        throw new FileNotFoundException(OvmfMissingMessage);
    }

    static string? FindOnPath(string executable) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, executable))
            .FirstOrDefault(File.Exists);
}

namespace KernelRunner;

/// <summary>Finds QEMU and the OVMF firmware on the host, naming the Debian package when one is missing.</summary>
public static class HostPrerequisites
{
    public const string QemuExecutable = "qemu-system-x86_64";

    public const string QemuMissingMessage =
        $"{QemuExecutable} not found on PATH. Install it with: sudo apt-get install -y qemu-system-x86";

    public const string OvmfMissingMessage =
        "UEFI firmware (OVMF) not found. Install it with: sudo apt-get install -y ovmf";

    const string OvmfCombinedImage = "/usr/share/ovmf/OVMF.fd";
    const string OvmfSplitCode = "/usr/share/OVMF/OVMF_CODE_4M.fd";
    const string OvmfSplitVars = "/usr/share/OVMF/OVMF_VARS_4M.fd";

    public static bool IsQemuInstalled() => FindOnPath(QemuExecutable) is not null;

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

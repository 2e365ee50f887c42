using System.Diagnostics;

namespace KernelRunner;

/// <summary>
/// A boot ISO with the kernel options on GRUB's command line, for an emulator without QEMU's fw_cfg (Bochs): the
/// build's kernel.elf and symbol map, and a grub.cfg that boots at once (Boot/grub.cfg is the one for users).
/// </summary>
public static class GrubImage
{
    public static void Build(RepoLayout repo, string kernelCmdline, bool serialConsole, string isoPath)
    {
        var root = Directory.CreateTempSubdirectory("kernel-isoroot-");
        try
        {
            var boot = Directory.CreateDirectory(Path.Combine(root.FullName, "boot", "grub"));
            File.Copy(repo.KernelElf, Path.Combine(root.FullName, "boot", "kernel.elf"));
            File.Copy(Path.ChangeExtension(repo.KernelElf, ".sym"), Path.Combine(root.FullName, "boot", "kernel.sym"));
            File.WriteAllText(Path.Combine(boot.FullName, "grub.cfg"), Config(kernelCmdline, serialConsole));
            var mkrescue = new ProcessStartInfo("grub-mkrescue") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { "-o", isoPath, root.FullName }) mkrescue.ArgumentList.Add(arg);
            using var process = Process.Start(mkrescue)!;
            var errors = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0) throw new IOException($"grub-mkrescue failed: {errors.Result}");
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    /// <summary>One entry, no menu. On a serial console GRUB also reads and writes COM1 (Bochs' term display has no keyboard to give it).</summary>
    public static string Config(string kernelCmdline, bool serialConsole) =>
        (serialConsole ? "serial --unit=0 --speed=115200\nterminal_input serial\nterminal_output serial\n" : "") + $"""
        set timeout=0
        menuentry "kernel" {"{"}
            multiboot2 /boot/kernel.elf {kernelCmdline}
            module2 /boot/kernel.sym symbols
            boot
        {"}"}

        """;
}

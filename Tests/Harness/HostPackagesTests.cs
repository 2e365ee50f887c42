using System.Diagnostics;
using KernelRunner;
using NUnit.Framework;

namespace Kernel.Tests.Harness;

/// <summary>tools/host-packages.sh: a QEMU that is on PATH but older than the project needs counts as missing.</summary>
public sealed class HostPackagesTests
{
    [TestCase("7.2.19", true)]
    [TestCase("9.0.0", false)]
    [TestCase("10.0.2", false)]
    public void AnOldQemuOnPathIsListedAsMissing(string version, bool listed)
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("tools/host-packages.sh is for Debian");
            return;
        }
        var bin = Directory.CreateTempSubdirectory("fake-qemu-");
        try
        {
            var fake = Path.Combine(bin.FullName, HostPrerequisites.QemuExecutable);
            File.WriteAllText(fake, $"#!/bin/sh\necho 'QEMU emulator version {version} (Debian)'\n");
            File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
            info.ArgumentList.Add(Path.Combine(RepoLayout.Find(AppContext.BaseDirectory).Root, "tools", "host-packages.sh"));
            info.Environment["PATH"] = $"{bin.FullName}:{Environment.GetEnvironmentVariable("PATH")}";
            using var script = Process.Start(info)!;
            var missing = script.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            script.WaitForExit();
            Assert.That(missing.Contains("qemu-system-x86"), Is.EqualTo(listed), $"QEMU {version}: the script listed [{string.Join(' ', missing)}]");
        }
        finally
        {
            bin.Delete(recursive: true);
        }
    }
}

using KernelRunner;
using NUnit.Framework;

namespace Kernel.Tests.Harness;

/// <summary>The QEMU command line and the meaning of its exit status.</summary>
public sealed class QemuCommandTests
{
    static readonly QemuOptions Smp4 = new() { Smp = "4", IsoPath = "/tmp/kernel.iso" };

    [Test]
    public void CapturedRunSendsCom1ToStdoutAndPassesKernelOptionsThroughFwCfg()
    {
        var argv = QemuCommand.Build(Smp4 with { KernelCmdline = "selftest=heap log=a,b" }, QemuMode.Captured);

        Assert.That(QemuCommand.ToShellLine(argv), Is.EqualTo(
            "qemu-system-x86_64 -machine q35 -accel tcg -cpu qemu64 -smp 4 -m 256M -display none -no-reboot " +
            "-device isa-debug-exit,iobase=0xf4,iosize=0x04 -cdrom /tmp/kernel.iso -serial stdio -monitor none " +
            "-fw_cfg 'name=opt/kernel/cmdline,string=selftest=heap log=a,,b'"));
    }

    [Test]
    public void InteractiveGdbRunSharesTheTerminalAndWaitsForTheDebugger()
    {
        var argv = QemuCommand.Build(Smp4 with { Gdb = true, ExtraArgs = ["-d", "int"] }, QemuMode.Interactive);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(argv, Is.SupersetOf(new[] { "mon:stdio", "-s", "-S" }));
            Assert.That(argv.TakeLast(2), Is.EqualTo(new[] { "-d", "int" }));
            Assert.That(argv, Does.Not.Contain("-fw_cfg"), "no kernel options, no fw_cfg file");
        }
    }

    [Test]
    public void ABareMetalLikeMachineHasItsCpuModelNoPitAndNoSerialPort()
    {
        var argv = QemuCommand.Build(Smp4 with { Cpu = "EPYC", Pit = false, SerialPort = false, Machine = "pc" }, QemuMode.Captured);

        var line = QemuCommand.ToShellLine(argv);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(line, Does.Contain("-machine pc,pit=off "));
            Assert.That(line, Does.Contain("-cpu EPYC "));
            Assert.That(line, Does.Contain("-serial none -monitor none"));
            Assert.That(line, Does.Not.Contain("stdio"));
        }
    }

    [Test]
    public void UefiLoadsOvmf()
    {
        var argv = QemuCommand.Build(Smp4 with { Uefi = true }, QemuMode.Captured);

        Assert.That(argv.Any(arg => arg.Contains("OVMF", StringComparison.OrdinalIgnoreCase)), Is.True, string.Join(' ', argv));
    }

    [TestCase("QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)\nCopyright", "10.0.2")]
    [TestCase("QEMU emulator version 7.2.19 (Debian 1:7.2+dfsg-7+deb12u16)", "7.2.19")]
    [TestCase("QEMU emulator version 9.0", "9.0.0")]
    public void TheQemuVersionIsReadFromItsBanner(string banner, string version)
    {
        Assert.That(HostPrerequisites.ParseQemuVersion(banner), Is.EqualTo(Version.Parse(version)));
    }

    [Test]
    public void Qemu72IsTooOldAndTheHostsQemuIsNot()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(HostPrerequisites.ParseQemuVersion("QEMU emulator version 7.2.19"), Is.LessThan(HostPrerequisites.MinimumQemu));
            Assert.That(HostPrerequisites.QemuProblem, Is.Null, "the host's QEMU: ./build.sh installs one new enough");
        }
    }

    [TestCase(1, QemuExitKind.AllTestsPassed)]
    [TestCase(3, QemuExitKind.TestsFailed)]
    [TestCase(5, QemuExitKind.Panic)]
    [TestCase(7, QemuExitKind.PowerOffFallback)]
    [TestCase(0, QemuExitKind.QuitOrTripleFault)]
    [TestCase(33, QemuExitKind.Unexpected)]
    public void ExitStatusFollowsTheIsaDebugExitContract(int status, QemuExitKind kind)
    {
        Assert.That(QemuExit.FromStatus(status).Kind, Is.EqualTo(kind));
    }

    [Test]
    public void AnUnknownGuestExitValueIsNamed()
    {
        Assert.That(QemuExit.FromStatus(33).Description, Does.Contain("guest exit value 16"));
    }
}

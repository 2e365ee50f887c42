using KernelRunner;
using NUnit.Framework;

namespace Kernel.Tests.Boot;

/// <summary>
/// The shell's poweroff and reboot on two CPUs (so the other one is stopped first). ACPI S5 must end QEMU with status 0
/// on both machines under both firmwares: PM1a_CNT is 0x604 or 0xb004, and SeaBIOS leaves ACPI mode off. QEMU's
/// -no-reboot turns a reset into the same exit, which a triple fault also gives, so the log must name the method
/// and show no later one was tried: the ACPI reset register on q35 (revision-3 FADT) under SeaBIOS, the 8042 on pc
/// (ACPI 1.0 FADT, no RESET_REG) under OVMF.
/// </summary>
[Parallelizable(ParallelScope.Self)]
public sealed class PowerBoot
{
    [TestCase("q35", false)]
    [TestCase("q35", true)]
    [TestCase("pc", false)]
    [TestCase("pc", true)]
    public void PowerOffEndsQemuThroughAcpiS5(string machine, bool uefi)
    {
        using var shell = Start("poweroff", machine, uefi);
        var exit = shell.RunToExit("poweroff");
        var serial = shell.Qemu.Serial;
        var report = shell.Qemu.Report();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(exit.Kind, Is.EqualTo(QemuExitKind.QuitOrTripleFault), report);
            Assert.That(serial, Does.Contain("acpi: S5 SLP_TYPa=0 SLP_TYPb=0 from DSDT"), report);
            Assert.That(serial, Does.Contain("power: power off: 1 of 1 other CPUs stopped"), report);
            Assert.That(serial, Does.Contain("power: power off: ACPI S5, SLP_TYPa=0 to PM1a_CNT 0x"), report);
            Assert.That(serial, Does.Not.Contain("still running").And.Not.Contain("isa-debug-exit"), report);
        }
    }

    [TestCase("q35", false, "power: reboot: ACPI reset register (I/O port 0xcf9 <- 0x0f)")]
    [TestCase("pc", true, "power: reboot: 8042 keyboard controller reset pulse (0xfe to port 0x64)")]
    public void RebootResetsTheMachine(string machine, bool uefi, string method)
    {
        using var shell = Start("reboot", machine, uefi);
        var exit = shell.RunToExit("reboot");
        var serial = shell.Qemu.Serial;
        var report = shell.Qemu.Report();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(exit.Kind, Is.EqualTo(QemuExitKind.QuitOrTripleFault), report);
            Assert.That(serial, Does.Contain("power: reboot: 1 of 1 other CPUs stopped"), report);
            Assert.That(serial, Does.Contain(method), report);
            Assert.That(serial, Does.Not.Contain("did not reset").And.Not.Contain("triple fault"), report);
        }
    }

    static ShellSession Start(string what, string machine, bool uefi)
    {
        var name = $"{what}-{machine}{(uefi ? "-uefi" : "")}";
        return ShellSession.Start(new BootConfiguration(name, Smp: "2", ExpectedCpus: 2, Machine: machine, Uefi: uefi));
    }
}

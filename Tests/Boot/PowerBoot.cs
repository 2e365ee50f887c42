using KernelRunner;
using NUnit.Framework;

namespace Kernel.Tests.Boot;

/// <summary>
/// test.poweroff and test.reboot on two CPUs (so the other one is stopped first). ACPI S5 must end QEMU with status 0
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
        var boot = Start("poweroff", machine, uefi, "test.poweroff");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(boot.Run.Exit.Kind, Is.EqualTo(QemuExitKind.QuitOrTripleFault), boot.Report());
            Assert.That(boot.Run.Serial, Does.Contain("acpi: S5 SLP_TYPa=0 SLP_TYPb=0 from DSDT"), boot.Report());
            Assert.That(boot.Run.Serial, Does.Contain("power: power off: 1 of 1 other CPUs stopped"), boot.Report());
            Assert.That(boot.Run.Serial, Does.Contain("power: power off: ACPI S5, SLP_TYPa=0 to PM1a_CNT 0x"), boot.Report());
            Assert.That(boot.Run.Serial, Does.Not.Contain("still running").And.Not.Contain("isa-debug-exit"), boot.Report());
        }
    }

    [TestCase("q35", false, "power: reboot: ACPI reset register (I/O port 0xcf9 <- 0x0f)")]
    [TestCase("pc", true, "power: reboot: 8042 keyboard controller reset pulse (0xfe to port 0x64)")]
    public void RebootResetsTheMachine(string machine, bool uefi, string method)
    {
        var boot = Start("reboot", machine, uefi, "test.reboot");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(boot.Run.Exit.Kind, Is.EqualTo(QemuExitKind.QuitOrTripleFault), boot.Report());
            Assert.That(boot.Run.Serial, Does.Contain("power: reboot: 1 of 1 other CPUs stopped"), boot.Report());
            Assert.That(boot.Run.Serial, Does.Contain(method), boot.Report());
            Assert.That(boot.Run.Serial, Does.Not.Contain("did not reset").And.Not.Contain("triple fault"), boot.Report());
        }
    }

    static KernelBoot Start(string what, string machine, bool uefi, string options)
    {
        var name = $"{what}-{machine}{(uefi ? "-uefi" : "")}";
        return KernelBoot.Start(name, new BootConfiguration(name, Smp: "2", ExpectedCpus: 2, Machine: machine, Uefi: uefi), options);
    }
}

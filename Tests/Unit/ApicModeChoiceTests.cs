using Kernel.Acpi;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>xAPIC or x2APIC from the MADT: the path QEMU 7.2's TCG cannot boot (it has no x2APIC).</summary>
public unsafe class ApicModeChoiceTests
{
    static MadtInfo Parse(MadtBuilder madt, uint bootApicId = 0)
    {
        var bytes = madt.Build();
        return Madt.Parse(AcpiTestTables.Guarded.Place(bytes), (ulong)bytes.Length, bootApicId, maxCpus: 64);
    }

    [Test]
    public void QemusSmallMachinesStayInXApicMode()
    {
        var highest = ApicModeChoice.HighestApicId(Parse(MadtBuilder.Qemu(present: 4, possible: 8)), bootApicId: 0);
        Assert.That(highest, Is.EqualTo(3u), "QEMU's free slots are plain disabled entries (flags 0, not online-capable)");
        Assert.That(ApicModeChoice.UseX2Apic(enabledByFirmware: false, highest, cpuHasX2Apic: true), Is.False);
    }

    [Test]
    public void AnApicIdAbove254NeedsX2Apic()
    {
        var madt = new MadtBuilder().LocalApic(0, 0, 1).X2Apic(0x100, 1, 1).X2Apic(0x1_0000, 1, 2);
        var highest = ApicModeChoice.HighestApicId(Parse(madt), bootApicId: 0);
        Assert.That(highest, Is.EqualTo(0x1_0000u));
        Assert.That(ApicModeChoice.UseX2Apic(false, highest, cpuHasX2Apic: true), Is.True);
        Assert.That(ApicModeChoice.UseX2Apic(false, highest, cpuHasX2Apic: false), Is.False);
        Assert.That(ApicModeChoice.SomeCpuUnreachable(x2Apic: false, highest), Is.True);
    }

    [Test]
    public void DisabledEntriesAndTheInvalidIdDoNotForceX2Apic()
    {
        // A disabled x2APIC entry with ID 0xFFFFFFFF and a disabled one above 254 (neither enabled nor online-capable).
        var madt = new MadtBuilder().LocalApic(0, 0, 1).LocalApic(1, 1, 1).X2Apic(0xFFFF_FFFF, 0, 2).X2Apic(0x300, 0, 3);
        var highest = ApicModeChoice.HighestApicId(Parse(madt), bootApicId: 0);
        Assert.That(highest, Is.EqualTo(1u));
        Assert.That(ApicModeChoice.UseX2Apic(false, highest, cpuHasX2Apic: true), Is.False);
    }

    [Test]
    public void AnOnlineCapableSlotAbove254NeedsX2Apic()
    {
        var madt = new MadtBuilder().LocalApic(0, 0, 1).X2Apic(0x200, 2, 1);
        Assert.That(ApicModeChoice.HighestApicId(Parse(madt), bootApicId: 0), Is.EqualTo(0x200u));
    }

    [Test]
    public void FirmwareThatEnabledX2ApicKeepsIt()
    {
        Assert.That(ApicModeChoice.UseX2Apic(enabledByFirmware: true, highestApicId: 3, cpuHasX2Apic: true), Is.True);
        Assert.That(ApicModeChoice.SomeCpuUnreachable(x2Apic: true, 0x1_0000), Is.False);
    }

    [Test]
    public void TheBootCpuCountsEvenIfTheMadtOmitsIt()
    {
        var madt = new MadtBuilder().LocalApic(0, 1, 1);
        Assert.That(ApicModeChoice.HighestApicId(Parse(madt), bootApicId: 0x120), Is.EqualTo(0x120u));
    }
}

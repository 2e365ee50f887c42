using Kernel.Acpi;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>The xAPIC / x2APIC decision (Arch.x86/Acpi/ApicMode.cs) over the MADT's CPUs.</summary>
public unsafe class ApicModeTests
{
    private static MadtCpu Cpu(uint apicId, bool enabled = true, bool onlineCapable = false) =>
        new() { ApicId = apicId, Enabled = enabled, OnlineCapable = !enabled && onlineCapable };

    [Test]
    public void QEMUs_tables_stay_in_xAPIC_mode()
    {
        var madt = Madt.Parse(AcpiTestTables.Guarded.Place(AcpiTestTables.QemuQ35Sockets2Cores3Madt), (ulong)AcpiTestTables.QemuQ35Sockets2Cores3Madt.Length, 0, 64);
        var choice = ApicMode.Choose(madt.Cpus, bootApicId: 0, firmwareEnabledX2Apic: false, cpuSupportsX2Apic: true);
        Assert.That((choice.X2Apic, choice.HighestApicId, choice.UnreachableCount, choice.Warning), Is.EqualTo((false, 1u, 0, (string?)null)));
    }

    [TestCase(254u, false)]
    [TestCase(255u, true)]
    [TestCase(256u, true)]
    [TestCase(0xFFFF_FFFEu, true)]
    public void A_usable_CPU_above_254_needs_x2APIC(uint highest, bool x2Apic)
    {
        var choice = ApicMode.Choose([Cpu(0), Cpu(highest, enabled: false, onlineCapable: true)], 0, false, cpuSupportsX2Apic: true);
        Assert.That((choice.X2Apic, choice.HighestApicId, choice.Warning), Is.EqualTo((x2Apic, highest, (string?)null)));
    }

    [Test]
    public void Disabled_entries_with_high_IDs_do_not_force_x2APIC()
    {
        var choice = ApicMode.Choose([Cpu(0), Cpu(1), Cpu(300, enabled: false)], 0, false, true);
        Assert.That((choice.X2Apic, choice.HighestApicId), Is.EqualTo((false, 1u)));
    }

    [Test]
    public void The_boot_CPUs_own_ID_counts_even_when_the_MADT_omits_it()
    {
        Assert.That(ApicMode.Choose([Cpu(1)], bootApicId: 512, false, true).X2Apic, Is.True);
        Assert.That(ApicMode.Choose([Cpu(1)], bootApicId: Madt.UnknownApicId, false, true).HighestApicId, Is.EqualTo(1u));
    }

    [Test]
    public void Firmware_enabled_x2APIC_is_kept_whatever_the_IDs()
    {
        var choice = ApicMode.Choose([Cpu(0), Cpu(1)], 0, firmwareEnabledX2Apic: true, cpuSupportsX2Apic: true);
        Assert.That(choice.X2Apic, Is.True);
    }

    [Test]
    public void Without_x2APIC_the_CPUs_above_254_are_counted_warned_about_and_unaddressable()
    {
        var choice = ApicMode.Choose([Cpu(0), Cpu(254), Cpu(255), Cpu(300), Cpu(301, enabled: false, onlineCapable: true), Cpu(400, enabled: false)],
                                     0, false, cpuSupportsX2Apic: false);
        Assert.That((choice.X2Apic, choice.HighestApicId, choice.UnreachableCount), Is.EqualTo((false, 301u, 3)));
        Assert.That(choice.Warning, Is.EqualTo("3 CPUs have APIC IDs above 254, which only x2APIC mode reaches, and this CPU lacks x2APIC: they are not used"));
        Assert.That(ApicMode.CanAddress(254, x2Apic: false), Is.True);
        Assert.That(ApicMode.CanAddress(255, x2Apic: false), Is.False);   // the xAPIC broadcast destination
        Assert.That(ApicMode.CanAddress(300, x2Apic: false), Is.False);   // would wrap to APIC ID 44 in the 8-bit field
        Assert.That(ApicMode.CanAddress(300, x2Apic: true), Is.True);
    }
}

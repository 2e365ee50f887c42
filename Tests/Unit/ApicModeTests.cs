using Kernel.Arch.Acpi;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>The xAPIC / x2APIC decision (Arch.x86/Acpi/ApicMode.cs) over the MADT's CPUs, the CPU and `nox2apic`.</summary>
public unsafe class ApicModeTests
{
    private static MadtCpu Cpu(uint apicId, bool enabled = true, bool onlineCapable = false) =>
        new() { ApicId = apicId, Enabled = enabled, OnlineCapable = !enabled && onlineCapable };

    private static readonly ApicModeInputs Offered = new() { CpuSupportsX2Apic = true };
    private static readonly ApicModeInputs NotOffered = new() { CpuSupportsX2Apic = false };
    private static readonly ApicModeInputs FirmwareX2Apic = new() { CpuSupportsX2Apic = true, FirmwareEnabledX2Apic = true };

    [Test]
    public void x2APIC_whenever_the_CPU_offers_it_even_for_small_IDs()
    {
        var madt = Madt.Parse(AcpiTestTables.Guarded.Place(AcpiTestTables.QemuQ35Sockets2Cores3Madt), (ulong)AcpiTestTables.QemuQ35Sockets2Cores3Madt.Length, 0, 64);
        var choice = ApicMode.Choose(madt.Cpus, bootApicId: 0, Offered);
        Assert.That((choice.X2Apic, choice.LeaveFirmwareX2Apic, choice.HighestApicId, choice.Warning), Is.EqualTo((true, false, 1u, (string?)null)));
        Assert.That(choice.Reason, Is.EqualTo("the CPU offers it (CPUID.01H:ECX[21])"));
    }

    [Test]
    public void xAPIC_on_a_CPU_without_x2APIC()
    {
        var choice = ApicMode.Choose([Cpu(0), Cpu(1)], 0, NotOffered);
        Assert.That((choice.X2Apic, choice.Warning, choice.Reason), Is.EqualTo((false, (string?)null, "the CPU has no x2APIC (CPUID.01H:ECX[21] clear)")));
    }

    [TestCase(254u, 0)]
    [TestCase(255u, 1)]
    [TestCase(0xFFFF_FFFEu, 1)]
    public void nox2apic_gives_xAPIC_and_leaves_out_what_it_cannot_reach(uint highest, int unreachable)
    {
        var choice = ApicMode.Choose([Cpu(0), Cpu(highest, enabled: false, onlineCapable: true)], 0, Offered with { XApicRequested = true });
        Assert.That((choice.X2Apic, choice.HighestApicId, choice.UnreachableCount, choice.Reason), Is.EqualTo((false, highest, unreachable, "nox2apic")));
        Assert.That(choice.Warning, unreachable == 0 ? Is.Null
            : Is.EqualTo("1 CPUs have APIC IDs above 254, which only x2APIC mode reaches, and nox2apic was given: they are not used"));
    }

    [Test]
    public void Disabled_entries_with_high_IDs_are_not_usable()
    {
        Assert.That(ApicMode.HighestUsableApicId([Cpu(0), Cpu(1), Cpu(300, enabled: false)], 0), Is.EqualTo(1u));
    }

    [Test]
    public void The_boot_CPUs_own_ID_counts_even_when_the_MADT_omits_it()
    {
        Assert.That(ApicMode.HighestUsableApicId([Cpu(1)], bootApicId: 512), Is.EqualTo(512u));
        Assert.That(ApicMode.HighestUsableApicId([Cpu(1)], bootApicId: Madt.UnknownApicId), Is.EqualTo(1u));
        Assert.That(ApicMode.Choose([Cpu(1)], bootApicId: 512, NotOffered with { FirmwareEnabledX2Apic = true }).X2Apic, Is.True);
    }

    [Test]
    public void Firmware_enabled_x2APIC_is_kept()
    {
        var choice = ApicMode.Choose([Cpu(0), Cpu(1)], 0, FirmwareX2Apic);
        Assert.That((choice.X2Apic, choice.LeaveFirmwareX2Apic, choice.Reason, choice.Warning), Is.EqualTo((true, false, "the firmware enabled it", (string?)null)));
    }

    [Test]
    public void nox2apic_leaves_firmware_x2APIC_through_the_disabled_state_where_that_is_legal()
    {
        var choice = ApicMode.Choose([Cpu(0), Cpu(254)], 0, FirmwareX2Apic with { XApicRequested = true });
        Assert.That((choice.X2Apic, choice.LeaveFirmwareX2Apic, choice.Warning), Is.EqualTo((false, true, (string?)null)));
        Assert.That(choice.Reason, Does.StartWith("nox2apic"));
    }

    [Test]
    public void nox2apic_is_ignored_when_the_firmware_locked_x2APIC()
    {
        var choice = ApicMode.Choose([Cpu(0), Cpu(1)], 0, FirmwareX2Apic with { XApicRequested = true, X2ApicLocked = true });
        Assert.That((choice.X2Apic, choice.LeaveFirmwareX2Apic), Is.EqualTo((true, false)));
        Assert.That(choice.Warning, Is.EqualTo("nox2apic ignored: the firmware locked the local APIC in x2APIC mode"));
    }

    [Test]
    public void nox2apic_is_ignored_when_a_CPU_needs_a_32_bit_APIC_ID()
    {
        var choice = ApicMode.Choose([Cpu(0), Cpu(300)], 0, FirmwareX2Apic with { XApicRequested = true });
        Assert.That((choice.X2Apic, choice.UnreachableCount), Is.EqualTo((true, 0)));
        Assert.That(choice.Warning, Is.EqualTo("nox2apic ignored: CPUs with APIC IDs above 254 need x2APIC mode"));
    }

    [Test]
    public void Without_x2APIC_the_CPUs_above_254_are_counted_warned_about_and_unaddressable()
    {
        var choice = ApicMode.Choose([Cpu(0), Cpu(254), Cpu(255), Cpu(300), Cpu(301, enabled: false, onlineCapable: true), Cpu(400, enabled: false)],
                                     0, NotOffered);
        Assert.That((choice.X2Apic, choice.HighestApicId, choice.UnreachableCount), Is.EqualTo((false, 301u, 3)));
        Assert.That(choice.Warning, Is.EqualTo("3 CPUs have APIC IDs above 254, which only x2APIC mode reaches, and this CPU lacks x2APIC: they are not used"));
        Assert.That(ApicMode.CanAddress(254, x2Apic: false), Is.True);
        Assert.That(ApicMode.CanAddress(255, x2Apic: false), Is.False);   // the xAPIC broadcast destination
        Assert.That(ApicMode.CanAddress(300, x2Apic: false), Is.False);   // would wrap to APIC ID 44 in the 8-bit field
        Assert.That(ApicMode.CanAddress(300, x2Apic: true), Is.True);
    }
}

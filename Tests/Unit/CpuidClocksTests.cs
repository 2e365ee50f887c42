using Kernel.Arch;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>TSC and crystal rates from CPUID leaves 15H and 16H (SDM Vol. 2A "CPUID"), the calibration source of last resort.</summary>
public class CpuidClocksTests
{
    [Test]
    public void Leaf15WithTheCrystalGivesBothRates()
    {
        // A Tiger Lake-like part: 38.4 MHz crystal, TSC/crystal = 146/2.
        Assert.That(CpuidClocks.TscHz(0x1B, 2, 146, 38_400_000, 2800), Is.EqualTo(2_803_200_000UL));
        Assert.That(CpuidClocks.CrystalHz(0x1B, 2, 146, 38_400_000, 2800), Is.EqualTo(38_400_000UL));
    }

    [Test]
    public void WithoutTheCrystalLeaf16sBaseFrequencyGivesTheTscAndTheCrystal()
    {
        // Skylake client: 15H has the ratio but ECX = 0; 16H says 3200 MHz (the crystal is 24 MHz, as Linux derives it).
        Assert.That(CpuidClocks.TscHz(0x16, 2, 266, 0, 3200), Is.EqualTo(3_200_000_000UL));
        Assert.That(CpuidClocks.CrystalHz(0x16, 2, 266, 0, 3200), Is.EqualTo(3_200_000_000UL * 2 / 266));
    }

    [Test]
    public void Leaf16AloneGivesTheTscButNoCrystal()
    {
        Assert.That(CpuidClocks.TscHz(0x16, 0, 0, 0, 0x0001_0BB8), Is.EqualTo(3_000_000_000UL), "EAX[15:0] only");
        Assert.That(CpuidClocks.CrystalHz(0x16, 0, 0, 0, 3000), Is.Zero);
    }

    [TestCase(0xDu, 2u, 146u, 38_400_000u, 2800u, Description = "QEMU's qemu64/Haswell/EPYC: max leaf 0DH, the leaves are not there")]
    [TestCase(0x15u, 2u, 146u, 0u, 2800u, Description = "15H without the crystal and no 16H")]
    [TestCase(0x16u, 0u, 0u, 0u, 0u, Description = "both leaves present and all zero (TCG)")]
    public void LeavesThatAreAbsentOrZeroSayNothing(uint maxLeaf, uint denominator, uint numerator, uint crystal, uint baseMhz)
    {
        Assert.That(CpuidClocks.TscHz(maxLeaf, denominator, numerator, crystal, baseMhz), Is.Zero);
        Assert.That(CpuidClocks.CrystalHz(maxLeaf, denominator, numerator, crystal, baseMhz), Is.Zero);
    }
}

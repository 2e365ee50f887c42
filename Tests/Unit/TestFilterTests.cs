using Kernel.Testing;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>The `selftest=` filter: comma-separated prefixes of "suite.name".</summary>
public class TestFilterTests
{
    [TestCase("", true)]
    [TestCase(null, true)]
    [TestCase(",", true, Description = "no prefix at all selects everything")]
    [TestCase("smp", true)]
    [TestCase("smp.", true)]
    [TestCase("smp.ApsCame", true)]
    [TestCase("smp.ApsCameOnlineX", false)]
    [TestCase("smpx", false)]
    [TestCase("ipi", false)]
    [TestCase("ipi,smp", true)]
    [TestCase("ipi,,smp.Aps", true)]
    [TestCase("ipi,sched,", false)]
    [TestCase("smp,ipi", true)]
    public void PrefixesOfSuiteDotName(string? filter, bool runs)
    {
        Assert.That(TestFilter.Matches("smp", "ApsCameOnline", filter!), Is.EqualTo(runs));
    }

    [Test]
    public void ASuitePrefixEndsAtItsDot()
    {
        Assert.That(TestFilter.Matches("hotplug-torture", "Transitions", "hotplug."), Is.False);
        Assert.That(TestFilter.Matches("hotplug", "Transitions", "hotplug."), Is.True);
    }
}

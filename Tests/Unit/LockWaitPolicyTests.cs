using Kernel.Sync;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>LockWaitPolicy: which lock-wait variant boot patches in, and when a waiter stops spinning and halts.</summary>
public class LockWaitPolicyTests
{
    [TestCase(true, LockWaitVariant.SpinThenHalt)]
    [TestCase(false, LockWaitVariant.Spin)]
    public void Without_the_option_the_hypervisor_bit_decides(bool underHypervisor, LockWaitVariant expected)
    {
        var variant = LockWaitPolicy.Choose(underHypervisor, optionGiven: false, option: null, out string reason, out string warning);
        Assert.That((variant, warning), Is.EqualTo((expected, (string?)null)));
        Assert.That(reason, Does.Contain("CPUID.01H:ECX[31]"));
    }

    [TestCase("on", false, LockWaitVariant.SpinThenHalt)]
    [TestCase("on", true, LockWaitVariant.SpinThenHalt)]
    [TestCase("off", true, LockWaitVariant.Spin)]
    [TestCase("off", false, LockWaitVariant.Spin)]
    public void The_option_overrides_the_hypervisor_bit(string option, bool underHypervisor, LockWaitVariant expected)
    {
        var variant = LockWaitPolicy.Choose(underHypervisor, optionGiven: true, option, out string reason, out string warning);
        Assert.That((variant, reason, warning), Is.EqualTo((expected, "pvlocks=" + option, (string?)null)));
    }

    [TestCase("yes")]
    [TestCase("")]
    [TestCase(null)]
    [TestCase("ON")]
    public void A_bad_value_is_named_in_a_warning_and_the_hypervisor_bit_decides(string? option)
    {
        var variant = LockWaitPolicy.Choose(underHypervisor: true, optionGiven: true, option, out _, out string warning);
        Assert.That(variant, Is.EqualTo(LockWaitVariant.SpinThenHalt));
        Assert.That(warning, Does.StartWith($"pvlocks='{option}'").And.Contain("on|off"));
    }

    [Test]
    public void A_waiter_not_next_in_line_halts_once_its_budget_is_spent()
    {
        Assert.That(LockWaitPolicy.ShouldHalt(nextInLine: false, spun: 999, budget: 1000), Is.False);
        Assert.That(LockWaitPolicy.ShouldHalt(nextInLine: false, spun: 1000, budget: 1000), Is.True);
        Assert.That(LockWaitPolicy.ShouldHalt(nextInLine: false, spun: 5000, budget: 1000), Is.True);
    }

    [TestCase(10, 10, true)]
    [TestCase(11, 10, true)]
    [TestCase(12, 10, false)]
    [TestCase(9, 10, false)]
    [TestCase(int.MinValue, int.MaxValue, true)]
    [TestCase(int.MaxValue, int.MaxValue, true)]
    [TestCase(int.MinValue + 1, int.MaxValue, false)]
    public void A_release_kicks_the_ticket_served_and_the_next_in_line_across_the_wrap(int awaited, int served, bool kicked) =>
        Assert.That(LockWaitPolicy.ReleaseKicks(awaited, served), Is.EqualTo(kicked));

    [Test]
    public void The_waiter_next_in_line_spins_longer_before_it_halts()
    {
        ulong longer = 1000UL * LockWaitPolicy.NextInLineSpinFactor;
        Assert.That(LockWaitPolicy.NextInLineSpinFactor, Is.GreaterThan(1));
        Assert.That(LockWaitPolicy.ShouldHalt(nextInLine: true, spun: 1000, budget: 1000), Is.False);
        Assert.That(LockWaitPolicy.ShouldHalt(nextInLine: true, spun: longer - 1, budget: 1000), Is.False);
        Assert.That(LockWaitPolicy.ShouldHalt(nextInLine: true, spun: longer, budget: 1000), Is.True);
    }
}

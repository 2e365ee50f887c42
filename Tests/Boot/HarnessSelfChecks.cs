using KernelRunner;
using NUnit.Framework;

namespace Kernel.Tests.Boot;

/// <summary>
/// Proves the harness notices a failing and a panicking guest: test-only kernel options make the in-guest
/// test harness.Canary fail or panic, and the run must be reported as such.
/// </summary>
[Parallelizable(ParallelScope.Self)]
public sealed class HarnessSelfChecks
{
    static readonly BootConfiguration Machine = new("harness", Smp: "1", ExpectedCpus: 1);

    [Test]
    public void FailingGuestTestFailsTheRun()
    {
        var boot = KernelBoot.Start("harness-test.fail", Machine, "selftest=harness test.fail");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(boot.Run.Exit.Kind, Is.EqualTo(QemuExitKind.TestsFailed), boot.Report());
            Assert.That(boot.Log.Find("harness.Canary")?.Outcome, Is.EqualTo(SelfTestOutcome.Fail), boot.Report());
            Assert.That(boot.Log.Summary?.Failed, Is.EqualTo(1), boot.Report());
        }
    }

    [Test]
    public void PanickingGuestTestPanicsTheRun()
    {
        var boot = KernelBoot.Start("harness-test.panic", Machine, "selftest=harness test.panic");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(boot.Run.Exit.Kind, Is.EqualTo(QemuExitKind.Panic), boot.Report());
            Assert.That(boot.Log.PanicReason, Is.Not.Null, $"no SELFTEST: PANIC line\n{boot.Report()}");
        }
    }
}

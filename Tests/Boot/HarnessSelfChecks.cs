using KernelRunner;
using NUnit.Framework;

namespace Kernel.Tests.Boot;

/// <summary>
/// Proves the harness notices a failing and a panicking guest: test-only kernel options make the in-guest
/// test harness.Canary fail or panic, and the run must be reported as such. The same switch also shows an
/// unhandled exception on an application processor producing a full report that names that CPU.
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

    [Test]
    public void ExceptionOnAnApPanicsAndStopsEveryOtherCpu()
    {
        var boot = KernelBoot.Start("harness-test.ap-fault", Machine with { Smp = "4", ExpectedCpus = 4 }, "selftest=harness test.ap-fault");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(boot.Run.Exit.Kind, Is.EqualTo(QemuExitKind.Panic), boot.Report());
            Assert.That(boot.Run.Serial, Does.Contain("exception #UD Invalid Opcode (vector 6) on CPU 1"), boot.Report());
            Assert.That(boot.Run.Serial, Does.Contain("rip 0x").And.Contain("probe_invalid_opcode"), boot.Report());
            Assert.That(boot.Run.Serial, Does.Contain("PANIC on CPU 1: #UD Invalid Opcode"), boot.Report());
            foreach (var other in new[] { 0, 2, 3 })
                Assert.That(boot.Run.Serial, Does.Contain($"CPU {other} stopped by NMI: rip 0x"), boot.Report());
            Assert.That(boot.Run.Serial, Does.Contain("panic: 3 of 3 other CPUs stopped"), boot.Report());
            Assert.That(boot.Log.PanicReason, Does.Contain("#UD Invalid Opcode"), boot.Report());
        }
    }

    [Test]
    public void TakingAHeldSpinlockPanicsNamingBothPlaces()
    {
        var boot = KernelBoot.Start("harness-test.double-lock", Machine, "selftest=harness test.double-lock");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(boot.Run.Exit.Kind, Is.EqualTo(QemuExitKind.Panic), boot.Report());
            Assert.That(boot.Log.PanicReason, Does.Match(@"spinlock taken again by the CPU that holds it: held by CPU 0, taken at HarnessTests\.cs:\d+; now at HarnessTests\.cs:\d+"), boot.Report());
        }
    }
}

using KernelRunner;
using NUnit.Framework;

namespace Kernel.Tests.Boot;

/// <summary>
/// Boots one configuration of <see cref="BootMatrix"/> once with its <c>selftest</c> option and turns every in-guest
/// self-test it runs into its own test case, so a failure names both the guest test and the machine it failed on.
/// A machine without a serial port reports nothing but its exit status: it has only the summary case.
/// </summary>
[TestFixtureSource(typeof(BootMatrix), nameof(BootMatrix.Fixtures))]
[Parallelizable(ParallelScope.Self)]
public sealed class InGuest(BootConfiguration configuration)
{
    KernelBoot boot = null!;

    [OneTimeSetUp]
    public void BootOnce() => boot = KernelBoot.Start(configuration.Name, configuration, configuration.CommandLine(configuration.SelfTestOption));

    [PerConfiguration]
    public void SelfTest(string name)
    {
        if (SelfTestCatalog.ForKernel.Problem is { } problem)
            Assert.Fail(problem);
        if (boot.Crashed)
            Assert.Fail(boot.Report());

        switch (boot.Log.Find(name))
        {
            case null:
                Assert.Fail($"the guest never reported TEST {name}\n{boot.Report()}");
                break;
            case { Outcome: SelfTestOutcome.Skip } skipped:
                Assert.Ignore(skipped.Message);
                break;
            case { Outcome: SelfTestOutcome.Fail } failed:
                Assert.Fail($"{name} failed in the guest ({configuration.Name}, {failed.Milliseconds} ms): {failed.Message}");
                break;
        }
    }

    [PerConfiguration]
    public void Summary()
    {
        TestContext.Out.WriteLine($"{configuration.Name}: {boot.Timing}");
        if (boot.Crashed)
            Assert.Fail(boot.Report());
        if (!configuration.SerialPort)
        {
            Assert.That(boot.Run.Exit.Kind, Is.EqualTo(QemuExitKind.AllTestsPassed), boot.Run.Exit.Description);
            return;
        }
        if (SelfTestCatalog.ForKernel.Problem is { } problem)
            Assert.Fail(problem);

        var log = boot.Log;
        var duplicated = log.Results.GroupBy(result => result.Name).Where(group => group.Count() > 1).Select(group => group.Key);
        var unlisted = log.Results.Select(result => result.Name).Distinct().Except(SelfTestCatalog.ForKernel.Names);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(log.Summary, Is.Not.Null, $"no SELFTEST summary line\n{boot.Report()}");
            if (log.Summary is { } summary)
            {
                Assert.That(summary.Passed, Is.EqualTo(log.Count(SelfTestOutcome.Pass)), "summary passed count vs PASS lines");
                Assert.That(summary.Failed, Is.EqualTo(log.Count(SelfTestOutcome.Fail)), "summary failed count vs FAIL lines");
                Assert.That(summary.Skipped, Is.EqualTo(log.Count(SelfTestOutcome.Skip)), "summary skipped count vs SKIP lines");
            }
            Assert.That(boot.Run.Exit.Kind, Is.EqualTo(QemuExitKind.AllTestsPassed), boot.Run.Exit.Description);
            Assert.That(log.OnlineCpus, Is.EqualTo(configuration.ExpectedCpus), "CPUs online per the kernel's smp line");
            Assert.That(unlisted, Is.Empty, "guest ran tests that Kernel.dll's metadata does not list");
            Assert.That(duplicated, Is.Empty, "guest reported these tests more than once");
        }
    }
}

using System.Text.RegularExpressions;
using KernelRunner;
using NUnit.Framework;

namespace Kernel.Tests.Boot;

/// <summary>
/// Per-process heaps at full size (docs/heap.md): the boot matrix runs the gc suite with 2,000 spawn/exit cycles;
/// here it runs once with the 10,000 the design asks for, and the out-of-memory kill's log line is read as a user
/// would see it: the process named, with its heap's size, and the system going on. And the kernel task's heap: self-tests
/// and benchmarks typed at the shell, again and again, leave the kernel heap exactly where it was.
/// </summary>
[Parallelizable(ParallelScope.Self)]
public sealed class ProcessHeapBoot
{
    static readonly BootConfiguration Smp4 = new("gc", Smp: "4", ExpectedCpus: 4);

    [Test]
    public void TenThousandProcessesGiveEveryPageBack()
    {
        var boot = KernelBoot.Start("gc-ten-thousand", Smp4, "selftest=gc.ThousandsOfProcesses heap.cycles=10000");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(boot.Run.Exit.Kind, Is.EqualTo(QemuExitKind.AllTestsPassed), boot.Report());
            Assert.That(boot.Run.Serial, Does.Contain("10000 processes each allocating ~40 KiB"), boot.Report());
        }
    }

    [Test]
    public void AHoarderIsKilledByNameWithItsHeapSize()
    {
        var boot = KernelBoot.Start("gc-hoarder", Smp4, "selftest=gc.AProcessThatKeepsEverything");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(boot.Run.Exit.Kind, Is.EqualTo(QemuExitKind.AllTestsPassed), boot.Report());
            Assert.That(boot.Run.Serial, Does.Match(@"error memory: process 'hoarder' \(endpoint \d+\) out of memory: \d+ bytes asked, heap \d+ pages \(\d+ KiB, \d+ KiB live after collecting\), \d+ pages free: killed"), boot.Report());
            Assert.That(boot.Run.Serial, Does.Not.Contain("PANIC"), boot.Report());
        }
    }

    [Test]
    public void SelfTestsAndBenchmarksFromTheShellLeaveTheKernelHeapWhereItWas()
    {
        using var shell = ShellSession.Start(Smp4);
        var before = KernelHeapOf(shell.Run("mem"));
        for (int run = 0; run < 100; run++)
            Assert.That(shell.Run("selftest format"), Does.Match(@"SELFTEST: \d+ passed, 0 failed"), $"run {run + 1}");
        var afterSmall = KernelHeapOf(shell.Run("mem"));
        Assert.That(shell.Run("selftest", limit: WholeRun), Does.Match(@"SELFTEST: \d+ passed, 0 failed"));
        var liveAfterFirst = KernelTaskLiveKiB(shell.Run("mem"));
        Assert.That(shell.Run("selftest", limit: WholeRun), Does.Match(@"SELFTEST: \d+ passed, 0 failed"));
        Assert.That(shell.Run("bench", limit: WholeRun), Does.Contain("BENCH {"));
        var memory = shell.Run("mem");
        TestContext.Out.WriteLine(memory);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(afterSmall, Is.EqualTo(before), "100 runs of 'selftest format': kernel heap bytes and blocks");
            Assert.That(KernelHeapOf(memory), Is.EqualTo(before), "and two whole self-test runs and every benchmark after them");
            Assert.That(KernelTaskLiveKiB(memory), Is.LessThanOrEqualTo(liveAfterFirst + 64), "the kernel task's heap does not grow run by run");
        }
    }

    static readonly TimeSpan WholeRun = TimeSpan.FromMinutes(5);

    static (long Bytes, long Blocks) KernelHeapOf(string mem)
    {
        var match = Regex.Match(mem, @"kernel heap: (?<bytes>\d+) bytes in (?<blocks>\d+) blocks");
        Assert.That(match.Success, Is.True, $"'mem' shows the kernel heap:\n{mem}");
        return (long.Parse(match.Groups["bytes"].Value), long.Parse(match.Groups["blocks"].Value));
    }

    static long KernelTaskLiveKiB(string mem)
    {
        var match = Regex.Match(mem, @"kernel task heap: \d+ pages, (?<live>\d+) KiB live");
        Assert.That(match.Success, Is.True, $"'mem' shows the kernel task's heap:\n{mem}");
        return long.Parse(match.Groups["live"].Value);
    }
}

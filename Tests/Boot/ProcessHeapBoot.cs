using KernelRunner;
using NUnit.Framework;

namespace Kernel.Tests.Boot;

/// <summary>
/// Per-process heaps at full size (docs/heap.md): the boot matrix runs the gc suite with 2,000 spawn/exit cycles;
/// here it runs once with the 10,000 the design asks for, and the out-of-memory kill's log line is read as a user
/// would see it: the process named, with its heap's size, and the system going on.
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
}

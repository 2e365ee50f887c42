using Kernel.Tests.Boot;
using NUnit.Framework;

namespace Kernel.Tests.Harness;

/// <summary>The serial-protocol parser on synthetic guest output.</summary>
public sealed class SelfTestLogTests
{
    const string OvmfNoise = "\x1B[2J\x1B[01;01H\x1B[=3h\x1B[2J\x1B[01;01HBdsDxe: loading Boot0001 \"UEFI QEMU DVD-ROM\"\r\n";

    [Test]
    public void FindsKernelLinesAfterFirmwareEscapesOnTheSameLine()
    {
        var log = SelfTestLog.Parse(
            "\x1B[2J\x1B[01;01H[    0.001000] info  boot: managed SMP kernel\n" +
            "\x1B[0mTEST heap.Allocates PASS 3ms\n" +
            "SELFTEST: 1 passed, 0 failed, 0 skipped\n");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(log.KernelStarted, Is.True);
            Assert.That(log.Results, Is.EqualTo(new[] { new SelfTestResult("heap.Allocates", SelfTestOutcome.Pass, 3, "") }));
            Assert.That(log.Summary, Is.EqualTo(new SelfTestSummary(1, 0, 0)));
        }
    }

    [Test]
    public void AcceptsCrlfLineEnds()
    {
        var log = SelfTestLog.Parse(OvmfNoise + "TEST a.B SKIP 0ms no APs\r\nSELFTEST: 0 passed, 0 failed, 1 skipped\r\n");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(log.Find("a.B"), Is.EqualTo(new SelfTestResult("a.B", SelfTestOutcome.Skip, 0, "no APs")));
            Assert.That(log.Summary, Is.EqualTo(new SelfTestSummary(0, 0, 1)));
        }
    }

    [Test]
    public void KeepsTheWholeFailMessage()
    {
        var log = SelfTestLog.Parse("TEST heap.Frees FAIL 12ms Kernel/Heap.cs:42: expected 4096, actual 0\n");

        Assert.That(log.Find("heap.Frees"), Is.EqualTo(
            new SelfTestResult("heap.Frees", SelfTestOutcome.Fail, 12, "Kernel/Heap.cs:42: expected 4096, actual 0")));
    }

    [Test]
    public void ReportsAMissingSummary()
    {
        var log = SelfTestLog.Parse("[    0.000100] info  boot: managed SMP kernel\nTEST a.B PASS 1ms\n");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(log.Summary, Is.Null);
            Assert.That(log.PanicReason, Is.Null);
            Assert.That(log.Count(SelfTestOutcome.Pass), Is.EqualTo(1));
        }
    }

    [Test]
    public void ReadsThePanicReasonAfterAMultiLineReport()
    {
        var log = SelfTestLog.Parse(
            "TEST harness.Canary PASS 0ms\n" +
            "PANIC on CPU 0: page fault at 0x0\n  rip 0xffff8000 Kernel.Heap.Alloc\n  rsp 0x12345\n" +
            "SELFTEST: PANIC page fault at 0x0\n");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(log.PanicReason, Is.EqualTo("page fault at 0x0"));
            Assert.That(log.Summary, Is.Null);
            Assert.That(log.Results, Has.Count.EqualTo(1));
        }
    }

    [Test]
    public void IgnoresGarbageAndLinesThatOnlyLookAlike()
    {
        var log = SelfTestLog.Parse("\0\xFF\x1B[?25lTEST\nTEST noDot PASS 1ms\nTEST a.B MAYBE 1ms\nSELFTEST: some passed\n");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(log.Results, Is.Empty);
            Assert.That(log.Summary, Is.Null);
            Assert.That(log.KernelStarted, Is.False);
        }
    }
}

using System.Diagnostics;
using System.Text.RegularExpressions;
using KernelRunner;
using NUnit.Framework;

namespace Kernel.Tests.Boot;

/// <summary>
/// The machinery under <see cref="HotplugTests"/>, checked without asking anything of the kernel: a live QEMU session
/// streams COM1 while QMP queries the CPU slots, plugs a CPU in (QEMU accepts it whether or not the guest listens),
/// reports a refused command as an error, and the session leaves no QEMU behind.
/// </summary>
[Parallelizable(ParallelScope.Self)]
public sealed class HotplugHarness
{
    [Test]
    public void QmpPlugsACpuIntoALiveSession()
    {
        KernelBoot.RequireIsoAndQemu();
        var machine = new BootConfiguration("hotplug-harness", Smp: "1,maxcpus=4", ExpectedCpus: 1);
        int qemuProcessId;
        using (KernelBoot.TakeQemuSlot())
        using (var session = QemuSession.Start(machine.ToQemuOptions(KernelBoot.Repo.KernelIso, "", TimeSpan.FromMinutes(2))))
        {
            qemuProcessId = session.ProcessId;
            var qmp = session.Qmp;
            var slots = qmp.QueryHotpluggableCpus();
            Assert.That(slots.Select(cpu => cpu.Type).Distinct(), Is.EqualTo(new[] { "qemu64-x86_64-cpu" }), "device_add driver for -cpu qemu64");
            Assert.That(slots.Select(cpu => (cpu.SocketId, cpu.CoreId, cpu.ThreadId, cpu.Present)),
                        Is.EqualTo(new[] { (0, 0, 0, true), (0, 1, 0, false), (0, 2, 0, false), (0, 3, 0, false) }));

            var firstLine = session.WaitForLine(new Regex(Regex.Escape(QemuRunner.FirstKernelLogMarker)), 0, TimeSpan.FromSeconds(30));
            Assert.That(firstLine, Is.Not.Null, $"no kernel log line on COM1\n{session.Report()}");

            qmp.AddCpu("cpu2", socketId: 0, coreId: 2, threadId: 0, slots[0].Type);
            Assert.That(qmp.QueryHotpluggableCpus().Single(cpu => cpu.CoreId == 2).QomPath, Is.EqualTo("/machine/peripheral/cpu2"));

            var refused = Assert.Throws<QmpException>(() => qmp.AddCpu("cpu2", socketId: 0, coreId: 3, threadId: 0, slots[0].Type));
            Assert.That(refused!.ErrorClass, Is.EqualTo("GenericError"));
            Assert.That(session.HasExited, Is.False, session.Report());
        }

        Assert.That(ProcessIsGone(qemuProcessId), Is.True, $"QEMU {qemuProcessId} still runs after the session ended");
    }

    static bool ProcessIsGone(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }
}

using KernelRunner;
using NUnit.Framework;

namespace Kernel.Tests.Boot;

/// <summary>
/// CPU hot-plug end to end on each machine type and firmware: QEMU plugs two CPUs in over QMP one at a time, unplugs
/// them, then plugs one of them in and out again, and after each event the kernel must report the new CPU count and
/// alternatives mode and pass the smp self-tests.
/// </summary>
[TestFixtureSource(nameof(Machines))]
[Parallelizable(ParallelScope.Self)]
public sealed class HotplugTests(BootConfiguration machine)
{
    const string KernelOptions = "hotplug.selftest=smp";
    const int SlotCount = 4;

    // The hot-plug register block QEMU places on each machine type.
    static readonly Dictionary<string, int> RegisterBase = new() { ["q35"] = 0x0cd8, ["pc"] = 0xaf00 };

    // Until the kernel's first line the firmware dominates (OVMF: ~4 s, far more on a loaded host); a kernel without hot-plug support still fails in bounded time.
    static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);

    // TCG with two QEMUs on two host cores, and a self-test run after each event.
    static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(60);

    // Only a safety net that kills a forgotten QEMU: every wait above has its own time-out.
    static readonly TimeSpan SessionLimit = TimeSpan.FromMinutes(15);

    public static IEnumerable<TestFixtureData> Machines() =>
        new BootConfiguration[]
        {
            new("hotplug-q35", Smp: "1,maxcpus=4", ExpectedCpus: 1, Machine: "q35"),
            new("hotplug-pc", Smp: "1,maxcpus=4", ExpectedCpus: 1, Machine: "pc"),
            new("hotplug-q35-uefi", Smp: "1,maxcpus=4", ExpectedCpus: 1, Machine: "q35", Uefi: true),
            new("hotplug-pc-uefi", Smp: "1,maxcpus=4", ExpectedCpus: 1, Machine: "pc", Uefi: true),
        }.Select(configuration => new TestFixtureData(configuration).SetArgDisplayNames(configuration.Name));

    [Test]
    public void AddTwoCpusRemoveThemAndAddOneAgain()
    {
        KernelBoot.RequireIsoAndQemu();
        using var slot = KernelBoot.TakeQemuSlot();
        using var session = QemuSession.Start(
            machine.ToQemuOptions(KernelBoot.Repo.KernelIso, machine.CommandLine(KernelOptions), SessionLimit));
        try
        {
            RunScenario(session);
        }
        catch (Exception error) when (error is QmpException or IOException or TimeoutException)
        {
            // QEMU refused a command, crashed (the QMP connection closed) or stopped answering: show where the guest was.
            Assert.Fail($"{error.Message}\n{session.Report()}");
        }
        finally
        {
            TestContext.Out.WriteLine($"serial log: {KernelBoot.SaveSerialLog(machine.Name, session.Serial)}");
        }
    }

    void RunScenario(QemuSession session)
    {
        var qmp = session.Qmp;
        var slots = qmp.QueryHotpluggableCpus();
        Assert.That(slots.Select(cpu => (cpu.SocketId, cpu.CoreId, cpu.ThreadId, cpu.Present)),
                    Is.EqualTo(Enumerable.Range(0, SlotCount).Select(core => (0, core, 0, core == 0))),
                    "QEMU's CPU slots for -smp 1,maxcpus=4: socket 0, cores 0-3, thread 0, only core 0 filled");
        var driver = slots[0].Type;
        var hotplug = new HotplugDriver(session, machine.Name, EventTimeout);

        var ready = hotplug.WaitUntilReady(ReadyTimeout);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Convert.ToInt32(ready.Groups["base"].Value, 16), Is.EqualTo(RegisterBase[machine.Machine]), "register block address");
            Assert.That(int.Parse(ready.Groups["slots"].Value), Is.EqualTo(SlotCount), "slots");
            Assert.That(int.Parse(ready.Groups["present"].Value), Is.EqualTo(1), "CPUs present at boot");
        }

        // With one socket of four single-thread cores, a CPU's APIC ID is its core-id. TCG gives each vCPU it ever
        // creates a translation context of its own and never frees one on unplug, so a QEMU plugs at most maxcpus
        // CPUs in its life, the boot CPU included (QEMU 10.0: the next device_add aborts on tcg_register_thread's
        // assertion). Four plugs, then: cpu1, cpu2, and cpu1 again.
        hotplug.Add(driver, "cpu1", socket: 0, core: 1, thread: 0, apicId: 1, online: 2);
        hotplug.Add(driver, "cpu2", socket: 0, core: 2, thread: 0, apicId: 2, online: 3);
        hotplug.Remove("cpu2", apicId: 2, online: 2);
        hotplug.Remove("cpu1", apicId: 1, online: 1);
        Assert.That(qmp.QueryHotpluggableCpus().Where(cpu => cpu.Present).Select(cpu => cpu.CoreId), Is.EqualTo(new[] { 0 }),
                    "QEMU sees only the boot CPU left");

        // Plugged again after its unplug: the same slot and id, a CPU the kernel parked and knows already.
        hotplug.Add(driver, "cpu1", socket: 0, core: 1, thread: 0, apicId: 1, online: 2);
        hotplug.Remove("cpu1", apicId: 1, online: 1);
        Assert.That(session.HasExited, Is.False, $"QEMU ended during the scenario\n{session.Report()}");
    }
}

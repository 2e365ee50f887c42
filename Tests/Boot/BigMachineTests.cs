using KernelRunner;
using NUnit.Framework;

namespace Kernel.Tests.Boot;

/// <summary>
/// A big machine: 288 CPUs present of 296 possible, in 4 sockets × 37 cores × 2 threads, so APIC IDs run to 447 and
/// the firmware hands over in x2APIC mode (SeaBIOS and OVMF alike). Every CPU must come online; then a CPU whose APIC
/// ID is above 255 is unplugged and plugged again over QMP (32-bit x2APIC destinations for its INIT-SIPI-SIPI and its
/// IPIs), and after each event the kernel runs <see cref="BootMatrix.HugeSubset"/> on every CPU.
/// </summary>
[TestFixtureSource(nameof(Machines))]
[Parallelizable(ParallelScope.Self)]
public sealed class BigMachineTests(BootConfiguration machine)
{
    const string Topology = "288,sockets=4,cores=37,threads=2,maxcpus=296";
    const int Present = 288, Possible = 296;

    // Socket 3, core 0, thread 0: QEMU packs the APIC ID as socket << 7 | core << 1 | thread (6 bits hold 37 cores).
    const int UnpluggedSocket = 3;
    const uint UnpluggedApicId = UnpluggedSocket << 7;

    // 288 vCPU threads on two host cores: QEMU's start, the firmware's and each self-test run are slow.
    static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(5);
    static readonly TimeSpan EventTimeout = TimeSpan.FromMinutes(4);
    static readonly TimeSpan SessionLimit = TimeSpan.FromMinutes(15);

    // QEMU creating 288 vCPU threads on a loaded host answered its QMP greeting after more than 10 s.
    static readonly TimeSpan QmpTimeout = TimeSpan.FromMinutes(2);

    public static IEnumerable<TestFixtureData> Machines() =>
        new BootConfiguration[]
        {
            new("smp288-4s37c2t", Smp: Topology, ExpectedCpus: Present, Cpu: "qemu64,+x2apic", Memory: "1G"),
            new("smp288-4s37c2t-uefi", Smp: Topology, ExpectedCpus: Present, Cpu: "qemu64,+x2apic", Memory: "1G", Uefi: true),
        }.Select(configuration => new TestFixtureData(configuration).SetArgDisplayNames(configuration.Name));

    [Test]
    public void EveryCpuComesUpAndOneAboveApicId255IsUnpluggedAndPluggedAgain()
    {
        KernelBoot.RequireIsoAndQemu();
        using var slot = KernelBoot.TakeQemuSlot();
        using var session = QemuSession.Start(machine.ToQemuOptions(KernelBoot.Repo.KernelIso,
                                                                    $"hotplug.selftest={BootMatrix.HugeSubset}", SessionLimit) with { QmpTimeout = QmpTimeout });
        try
        {
            var hotplug = new HotplugDriver(session, machine.Name, EventTimeout);
            var ready = hotplug.WaitUntilReady(ReadyTimeout);
            var serial = session.Serial;
            using (Assert.EnterMultipleScope())
            {
                Assert.That(int.Parse(ready.Groups["slots"].Value), Is.EqualTo(Possible), "hot-plug slots");
                Assert.That(int.Parse(ready.Groups["present"].Value), Is.EqualTo(Present), "CPUs present");
                Assert.That(serial, Does.Contain($"smp: {Present} CPUs online"), session.Report());
                Assert.That(serial, Does.Contain("apic: local APIC in x2APIC mode (MSRs): the firmware enabled it"), session.Report());
            }

            var slots = session.Qmp.QueryHotpluggableCpus();
            var target = slots.Single(cpu => (cpu.SocketId, cpu.CoreId, cpu.ThreadId) == (UnpluggedSocket, 0, 0));
            Assert.That(target.Present, Is.True, "the CPU to unplug is present at boot");
            hotplug.Remove(target.QomPath!, UnpluggedApicId, online: Present - 1);
            hotplug.Add(target.Type, $"cpu{UnpluggedApicId}", UnpluggedSocket, core: 0, thread: 0, UnpluggedApicId, online: Present);
            Assert.That(session.HasExited, Is.False, $"QEMU ended during the scenario\n{session.Report()}");
        }
        catch (Exception error) when (error is QmpException or IOException or TimeoutException)
        {
            Assert.Fail($"{error.Message}\n{session.Report()}");
        }
        finally
        {
            TestContext.Out.WriteLine($"serial log: {KernelBoot.SaveSerialLog(machine.Name, session.Serial)}");
        }
    }
}

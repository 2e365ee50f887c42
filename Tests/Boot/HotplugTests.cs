using System.Text.RegularExpressions;
using KernelRunner;
using NUnit.Framework;

namespace Kernel.Tests.Boot;

/// <summary>
/// CPU hot-plug end to end on each machine type and firmware: QEMU plugs three CPUs in over QMP one at a time, then
/// unplugs them, and after each event the kernel must report the new CPU count and alternatives mode and pass the
/// smp self-tests. One fresh QEMU per machine, with every unplug after every plug: QEMU 7.2 crashes on a device_add
/// that follows any unplug.
/// </summary>
[TestFixtureSource(nameof(Machines))]
[Parallelizable(ParallelScope.Self)]
public sealed partial class HotplugTests(BootConfiguration machine)
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
    public void AddThreeCpusThenRemoveThem()
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

        var ready = ReadyLine().Match(WaitFor(session, ReadyLine(), 0, ReadyTimeout, "the kernel's hot-plug ready line").Text);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Convert.ToInt32(ready.Groups["base"].Value, 16), Is.EqualTo(RegisterBase[machine.Machine]), "register block address");
            Assert.That(int.Parse(ready.Groups["slots"].Value), Is.EqualTo(SlotCount), "slots");
            Assert.That(int.Parse(ready.Groups["present"].Value), Is.EqualTo(1), "CPUs present at boot");
        }

        // With one socket of four single-thread cores, a CPU's APIC ID is its core-id.
        for (var core = 1; core < SlotCount; core++)
        {
            var from = session.LineCount;
            var sent = session.Elapsed;
            qmp.AddCpu($"cpu{core}", socketId: 0, coreId: core, threadId: 0, driver);
            var added = ExpectEvent(session, AddedLine(), from, $"cpu{core} added", apicId: core, online: core + 1, alternatives: "SMP");
            var tests = ExpectSelfTestsPassed(session, added, $"after adding cpu{core}");
            TestContext.Out.WriteLine($"{machine.Name}: device_add cpu{core} -> kernel's added line {Milliseconds(added.ReceivedAt - sent)}, " +
                                      $"self-tests {Milliseconds(tests.ReceivedAt - added.ReceivedAt)} more");
        }
        Assert.That(qmp.QueryHotpluggableCpus().Where(cpu => !cpu.Present), Is.Empty, "QEMU sees every slot filled");

        for (var core = SlotCount - 1; core >= 1; core--)
        {
            var from = session.LineCount;
            var eventsFrom = qmp.EventCount;
            var sent = session.Elapsed;
            qmp.DeleteDevice($"cpu{core}");
            var removed = ExpectEvent(session, RemovedLine(), from, $"cpu{core} removed", apicId: core, online: core, alternatives: core == 1 ? "UP" : "SMP");
            var tests = ExpectSelfTestsPassed(session, removed, $"after removing cpu{core}");
            // The guest's eject completes the unplug; under TCG QEMU 7.2 reports it only for the CPU's lapic child.
            var id = $"cpu{core}";
            var deleted = qmp.WaitForEvent(e => e.Name == "DEVICE_DELETED" && (e.Device == id || e.Path == $"/machine/peripheral/{id}/lapic"),
                                           eventsFrom, EventTimeout);
            Assert.That(deleted, Is.Not.Null,
                        $"no DEVICE_DELETED for {id}: the guest never ejected it. QMP events since device_del: " +
                        $"{string.Join(", ", qmp.Events.Skip(eventsFrom).Select(e => $"{e.Name} {e.Data}"))}\n{session.Report()}");
            TestContext.Out.WriteLine($"{machine.Name}: device_del {id} -> kernel's removed line {Milliseconds(removed.ReceivedAt - sent)}, " +
                                      $"QEMU's DEVICE_DELETED {Milliseconds(deleted!.ReceivedAt - sent)}, " +
                                      $"self-tests {Milliseconds(tests.ReceivedAt - removed.ReceivedAt)} more");
        }
        Assert.That(qmp.QueryHotpluggableCpus().Where(cpu => cpu.Present).Select(cpu => cpu.CoreId), Is.EqualTo(new[] { 0 }),
                    "QEMU sees only the boot CPU left");
        Assert.That(session.HasExited, Is.False, $"QEMU ended during the scenario\n{session.Report()}");
    }

    /// <summary>Waits for the kernel's line for one hot-plug event and checks what it says.</summary>
    SerialLine ExpectEvent(QemuSession session, Regex pattern, int from, string what, int apicId, int online, string alternatives)
    {
        var line = WaitFor(session, pattern, from, EventTimeout, $"the kernel's line for {what}");
        var fields = pattern.Match(line.Text);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(int.Parse(fields.Groups["apic"].Value), Is.EqualTo(apicId), $"{what}: APIC ID in '{line.Text}'");
            Assert.That(int.Parse(fields.Groups["online"].Value), Is.EqualTo(online), $"{what}: CPUs online in '{line.Text}'");
            Assert.That(fields.Groups["mode"].Value, Is.EqualTo(alternatives), $"{what}: alternatives mode in '{line.Text}'");
        }
        return line;
    }

    /// <summary>Waits for the self-test summary that follows an event's line and fails on any failed self-test.</summary>
    SerialLine ExpectSelfTestsPassed(QemuSession session, SerialLine eventLine, string when)
    {
        var summaryLine = WaitFor(session, SelfTestSummaryLine(), eventLine.Number + 1, EventTimeout, $"the self-test summary {when}");
        var log = SelfTestLog.Parse(string.Join('\n', session.Lines(eventLine.Number + 1, summaryLine.Number + 1).Select(line => line.Text)));
        var failures = log.Results.Where(result => result.Outcome == SelfTestOutcome.Fail).Select(result => $"  {result.Name}: {result.Message}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(log.Results, Is.Not.Empty, $"no TEST lines {when}: does {KernelOptions} select any self-test?");
            Assert.That(log.Summary?.Failed, Is.EqualTo(0), $"self-tests failed {when} on {machine.Name}:\n{string.Join('\n', failures)}");
        }
        return summaryLine;
    }

    /// <summary>The first line from <paramref name="from"/> on matching <paramref name="pattern"/>; fails early on a kernel panic or QEMU's end.</summary>
    static SerialLine WaitFor(QemuSession session, Regex pattern, int from, TimeSpan timeout, string what)
    {
        var line = session.WaitForLine(line => pattern.IsMatch(line.Text) || KernelPanic().IsMatch(line.Text), from, timeout);
        if (line is null || !pattern.IsMatch(line.Text))
        {
            var why = line is not null ? "the kernel panicked" : session.HasExited ? "QEMU ended" : $"nothing within {timeout.TotalSeconds:F0} s";
            Assert.Fail($"waiting for {what}: {why}\n{session.Report()}");
        }
        return line!;
    }

    static string Milliseconds(TimeSpan span) => $"{span.TotalMilliseconds:F0} ms";

    [GeneratedRegex(@"\bhotplug: ready: QEMU CPU hot-plug registers at 0x(?<base>[0-9a-fA-F]+) \(modern\), (?<slots>\d+) slots, (?<present>\d+) CPUs? present")]
    private static partial Regex ReadyLine();

    [GeneratedRegex(@"\bhotplug: CPU added: APIC ID (?<apic>\d+), (?<online>\d+) CPUs? online, alternatives (?<mode>UP|SMP)\b")]
    private static partial Regex AddedLine();

    [GeneratedRegex(@"\bhotplug: CPU removed: APIC ID (?<apic>\d+), (?<online>\d+) CPUs? online, alternatives (?<mode>UP|SMP)\b")]
    private static partial Regex RemovedLine();

    [GeneratedRegex(@"\bSELFTEST: \d+ passed, \d+ failed, \d+ skipped\b")]
    private static partial Regex SelfTestSummaryLine();

    [GeneratedRegex(@"\bPANIC on CPU \d+|\bSELFTEST: PANIC\b")]
    private static partial Regex KernelPanic();
}

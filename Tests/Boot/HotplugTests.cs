using System.Text.RegularExpressions;
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

        var ready = ReadyLine().Match(WaitFor(session, ReadyLine(), 0, ReadyTimeout, "the kernel's hot-plug ready line").Text);
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
        Add(session, driver, 1, online: 2);
        Add(session, driver, 2, online: 3);
        Remove(session, 2, online: 2);
        Remove(session, 1, online: 1);
        Assert.That(qmp.QueryHotpluggableCpus().Where(cpu => cpu.Present).Select(cpu => cpu.CoreId), Is.EqualTo(new[] { 0 }),
                    "QEMU sees only the boot CPU left");

        // Plugged again after its unplug: the same slot and id, a CPU the kernel parked and knows already.
        Add(session, driver, 1, online: 2);
        Remove(session, 1, online: 1);
        Assert.That(session.HasExited, Is.False, $"QEMU ended during the scenario\n{session.Report()}");
    }

    void Add(QemuSession session, string driver, int core, int online)
    {
        var from = session.LineCount;
        var sent = session.Elapsed;
        session.Qmp.AddCpu($"cpu{core}", socketId: 0, coreId: core, threadId: 0, driver);
        var added = ExpectEvent(session, AddedLine(), from, $"cpu{core} added", apicId: core, online: online, alternatives: "SMP");
        var tests = ExpectSelfTestsPassed(session, added, $"after adding cpu{core}");
        TestContext.Out.WriteLine($"{machine.Name}: device_add cpu{core} -> kernel's added line {Milliseconds(added.ReceivedAt - sent)}, " +
                                  $"self-tests {Milliseconds(tests.ReceivedAt - added.ReceivedAt)} more");
    }

    void Remove(QemuSession session, int core, int online)
    {
        var qmp = session.Qmp;
        var from = session.LineCount;
        var eventsFrom = qmp.EventCount;
        var sent = session.Elapsed;
        var id = $"cpu{core}";
        qmp.DeleteDevice(id);
        var removed = ExpectEvent(session, RemovedLine(), from, $"{id} removed", apicId: core, online: online, alternatives: online == 1 ? "UP" : "SMP");
        var tests = ExpectSelfTestsPassed(session, removed, $"after removing {id}");
        // The guest's eject completes the unplug; under TCG QEMU (7.2 and 10.0 alike) reports it only for the CPU's lapic child.
        var deleted = qmp.WaitForEvent(e => e.Name == "DEVICE_DELETED" && (e.Device == id || e.Path == $"/machine/peripheral/{id}/lapic"),
                                       eventsFrom, EventTimeout);
        Assert.That(deleted, Is.Not.Null,
                    $"no DEVICE_DELETED for {id}: the guest never ejected it. QMP events since device_del: " +
                    $"{string.Join(", ", qmp.Events.Skip(eventsFrom).Select(e => $"{e.Name} {e.Data}"))}\n{session.Report()}");
        TestContext.Out.WriteLine($"{machine.Name}: device_del {id} -> kernel's removed line {Milliseconds(removed.ReceivedAt - sent)}, " +
                                  $"QEMU's DEVICE_DELETED {Milliseconds(deleted!.ReceivedAt - sent)}, " +
                                  $"self-tests {Milliseconds(tests.ReceivedAt - removed.ReceivedAt)} more");
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

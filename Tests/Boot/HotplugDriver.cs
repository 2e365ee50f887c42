using System.Text.RegularExpressions;
using KernelRunner;
using NUnit.Framework;

namespace Kernel.Tests.Boot;

/// <summary>
/// Drives CPU hot-plug in a live QEMU over QMP and checks the kernel's answer to each event: its added or removed line
/// (APIC ID, CPUs online, alternatives mode) and the self-tests it runs after each (the hotplug.selftest option).
/// </summary>
public sealed partial class HotplugDriver(QemuSession session, string machineName, TimeSpan eventTimeout)
{
    /// <summary>Waits for the kernel's hot-plug ready line and returns its fields (base, slots, present).</summary>
    public Match WaitUntilReady(TimeSpan timeout) =>
        ReadyLine().Match(WaitFor(session, ReadyLine(), 0, timeout, "the kernel's hot-plug ready line").Text);

    /// <summary>device_add of a CPU into an empty slot, then the kernel's line and its self-tests.</summary>
    public void Add(string driver, string id, int socket, int core, int thread, uint apicId, int online)
    {
        var from = session.LineCount;
        var sent = session.Elapsed;
        session.Qmp.AddCpu(id, socketId: socket, coreId: core, threadId: thread, driver);
        var added = ExpectEvent(AddedLine(), from, $"{id} added", apicId, online, alternatives: "SMP");
        var tests = ExpectSelfTestsPassed(added, $"after adding {id}");
        TestContext.Out.WriteLine($"{machineName}: device_add {id} -> kernel's added line {Milliseconds(added.ReceivedAt - sent)}, " +
                                  $"self-tests {Milliseconds(tests.ReceivedAt - added.ReceivedAt)} more");
    }

    /// <summary>device_del of a CPU (its id, or the QOM path of one present at boot), then the kernel's line, its self-tests and QEMU's DEVICE_DELETED.</summary>
    public void Remove(string idOrPath, uint apicId, int online)
    {
        var qmp = session.Qmp;
        var from = session.LineCount;
        var eventsFrom = qmp.EventCount;
        var sent = session.Elapsed;
        qmp.DeleteDevice(idOrPath);
        var removed = ExpectEvent(RemovedLine(), from, $"{idOrPath} removed", apicId, online, alternatives: online == 1 ? "UP" : "SMP");
        var tests = ExpectSelfTestsPassed(removed, $"after removing {idOrPath}");
        // The guest's eject completes the unplug; under TCG QEMU (7.2 and 10.0 alike) reports it only for the CPU's lapic child.
        var path = idOrPath.StartsWith('/') ? idOrPath : $"/machine/peripheral/{idOrPath}";
        var deleted = qmp.WaitForEvent(e => e.Name == "DEVICE_DELETED" && (e.Device == idOrPath || e.Path == $"{path}/lapic"),
                                       eventsFrom, eventTimeout);
        Assert.That(deleted, Is.Not.Null,
                    $"no DEVICE_DELETED for {idOrPath}: the guest never ejected it. QMP events since device_del: " +
                    $"{string.Join(", ", qmp.Events.Skip(eventsFrom).Select(e => $"{e.Name} {e.Data}"))}\n{session.Report()}");
        TestContext.Out.WriteLine($"{machineName}: device_del {idOrPath} -> kernel's removed line {Milliseconds(removed.ReceivedAt - sent)}, " +
                                  $"QEMU's DEVICE_DELETED {Milliseconds(deleted!.ReceivedAt - sent)}, " +
                                  $"self-tests {Milliseconds(tests.ReceivedAt - removed.ReceivedAt)} more");
    }

    /// <summary>Waits for the kernel's line for one hot-plug event and checks what it says.</summary>
    SerialLine ExpectEvent(Regex pattern, int from, string what, uint apicId, int online, string alternatives)
    {
        var line = WaitFor(session, pattern, from, eventTimeout, $"the kernel's line for {what}");
        var fields = pattern.Match(line.Text);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(uint.Parse(fields.Groups["apic"].Value), Is.EqualTo(apicId), $"{what}: APIC ID in '{line.Text}'");
            Assert.That(int.Parse(fields.Groups["online"].Value), Is.EqualTo(online), $"{what}: CPUs online in '{line.Text}'");
            Assert.That(fields.Groups["mode"].Value, Is.EqualTo(alternatives), $"{what}: alternatives mode in '{line.Text}'");
        }
        return line;
    }

    /// <summary>Waits for the self-test summary that follows an event's line and fails on any failed self-test.</summary>
    SerialLine ExpectSelfTestsPassed(SerialLine eventLine, string when)
    {
        var summaryLine = WaitFor(session, SelfTestLog.SummaryPattern, eventLine.Number + 1, eventTimeout, $"the self-test summary {when}");
        var log = SelfTestLog.Parse(string.Join('\n', session.Lines(eventLine.Number + 1, summaryLine.Number + 1).Select(line => line.Text)));
        var failures = log.Results.Where(result => result.Outcome == SelfTestOutcome.Fail).Select(result => $"  {result.Name}: {result.Message}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(log.Results, Is.Not.Empty, $"no TEST lines {when}: does the hotplug.selftest option select any self-test?");
            Assert.That(log.Summary?.Failed, Is.EqualTo(0), $"self-tests failed {when} on {machineName}:\n{string.Join('\n', failures)}");
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

    [GeneratedRegex(@"\bPANIC on CPU \d+|\bSELFTEST: PANIC\b")]
    private static partial Regex KernelPanic();
}

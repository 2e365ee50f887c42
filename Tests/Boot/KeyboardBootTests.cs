using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using KernelRunner;
using NUnit.Framework;

namespace Kernel.Tests.Boot;

/// <summary>
/// Keys typed outside the guest reach it: QEMU's monitor presses keys on its emulated PS/2 keyboard (sendkey) while the
/// in-guest test keyboard.TypedKeysArrive waits, and that test checks the bytes they became (IRQ 1 → 8042 → scan code
/// set 1 → terminal bytes). Under SeaBIOS and OVMF, whose PS/2 drivers leave the controller differently.
/// </summary>
[TestFixtureSource(nameof(Machines))]
[Parallelizable(ParallelScope.Self)]
public sealed partial class KeyboardBootTests(BootConfiguration machine)
{
    static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(90);
    static readonly TimeSpan SessionLimit = TimeSpan.FromMinutes(5);

    public static IEnumerable<TestFixtureData> Machines() =>
        new BootConfiguration[]
        {
            new("keyboard-q35", Smp: "2", ExpectedCpus: 2),
            new("keyboard-q35-uefi", Smp: "2", ExpectedCpus: 2, Uefi: true),
        }.Select(configuration => new TestFixtureData(configuration).SetArgDisplayNames(configuration.Name));

    [Test]
    public void KeysSentThroughTheMonitorArriveAsTerminalBytes()
    {
        KernelBoot.RequireIsoAndQemu();
        using var slot = KernelBoot.TakeQemuSlot();
        using var session = QemuSession.Start(machine.ToQemuOptions(KernelBoot.Repo.KernelIso, "selftest=keyboard test.keys", SessionLimit));
        try
        {
            var waiting = session.WaitForLine(WaitingLine(), 0, WaitTimeout);
            Assert.That(waiting, Is.Not.Null, $"the guest never said it waits for keys\n{session.Report()}");
            // The guest names the keys (KeyboardTests.HostKeys) because it knows the bytes they must become.
            var keys = WaitingLine().Match(waiting!.Text).Groups["keys"].Value;
            Assert.That(keys, Is.Not.Empty, waiting.Text);
            foreach (var key in keys.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                session.Qmp.Execute("human-monitor-command", new JsonObject { ["command-line"] = $"sendkey {key}" });

            var result = session.WaitForLine(ResultLine(), waiting.Number + 1, WaitTimeout);
            Assert.That(result, Is.Not.Null, $"no result from keyboard.TypedKeysArrive\n{session.Report()}");
            Assert.That(result!.Text, Does.Contain(" PASS "), $"{result.Text}\n{session.Report()}");
        }
        finally
        {
            TestContext.Out.WriteLine($"serial log: {KernelBoot.SaveSerialLog(machine.Name, session.Serial)}");
        }
    }

    [GeneratedRegex(@"\bkeyboard: test: waiting for keys: (?<keys>.+)$")]
    private static partial Regex WaitingLine();

    [GeneratedRegex(@"^TEST keyboard\.TypedKeysArrive ")]
    private static partial Regex ResultLine();
}

using System.Text.RegularExpressions;
using KernelRunner;
using NUnit.Framework;

namespace Kernel.Tests.Boot;

/// <summary>
/// The kernel shell, driven through COM1 as a user at a terminal would drive it (<see cref="ShellSession"/>): one QEMU
/// with 4 CPUs booted into the shell. The tests run in order on the same machine (the CPU taken offline comes back
/// before the next test); the last one panics it.
/// </summary>
[Parallelizable(ParallelScope.Self)]
public sealed partial class ShellTests
{
    const int Cpus = 4;

    ShellSession shell = null!;

    [OneTimeSetUp]
    public void BootIntoTheShell() => shell = ShellSession.Start(new BootConfiguration("shell", Smp: Cpus.ToString(), ExpectedCpus: Cpus));

    [OneTimeTearDown]
    public void PowerDown() => shell?.Dispose();

    [Test, Order(1)]
    public void CpusListsEveryCpuOnline()
    {
        var output = Run("cpus");
        var rows = CpuRow().Matches(output);
        Assert.That(rows.Select(row => row.Groups["cpu"].Value), Is.EqualTo(new[] { "0", "1", "2", "3" }), output);
        Assert.That(rows.Select(row => row.Groups["state"].Value), Is.All.EqualTo("online"), output);
        Assert.That(rows.Select(row => row.Groups["apic"].Value), Is.EqualTo(new[] { "0", "1", "2", "3" }), "QEMU numbers APIC IDs from 0");
        Assert.That(output, Does.Contain("4 of 4 CPUs online"));
    }

    [Test, Order(2)]
    public void OfflineThenOnlineMovesACpuAndBack()
    {
        Assert.That(Run("offline 2"), Does.Match(@"CPU 2 offline in \d+ us; alternatives SMP, 3 CPUs online"));
        var cpus = Run("cpus");
        Assert.That(CpuRow().Matches(cpus).Single(row => row.Groups["cpu"].Value == "2").Groups["state"].Value, Is.EqualTo("parked"), cpus);
        Assert.That(cpus, Does.Contain("3 of 4 CPUs online"));
        Assert.That(Run("offline 2"), Does.Contain("offline: CPU 2 is not online"));
        Assert.That(Run("offline 0"), Does.Contain("offline: CPU 0 is the boot CPU, which stays online"));

        Assert.That(Run("online 2"), Does.Match(@"CPU 2 online in \d+ us; alternatives SMP, 4 CPUs online"));
        Assert.That(Run("cpus"), Does.Contain("4 of 4 CPUs online"));
        Assert.That(Run("online 2"), Does.Contain("online: CPU 2 is already online"));
    }

    [Test, Order(3)]
    public void AltReportsTheSmpCodeAndItsSites()
    {
        var output = Run("alt");
        Assert.That(output, Does.Contain("mode SMP"));
        var sites = Regex.Match(output, @"(?<locks>\d+) lock sites \((?<managed>\d+) in C#, (?<asm>\d+) in asm\), (?<sequences>\d+) UP/SMP sequences");
        Assert.That(sites.Success, Is.True, output);
        Assert.That(int.Parse(sites.Groups["locks"].Value), Is.GreaterThan(0), output);
        Assert.That(int.Parse(sites.Groups["sequences"].Value), Is.GreaterThan(0), output);
        Assert.That(output, Does.Match(@"UP/SMP switch"), "the switch history is reported");
        Assert.That(output, Does.Contain("full fence: mfence (CPUID SSE2)"), "qemu64 has SSE2");
    }

    [Test, Order(4)]
    public void MadtShowsTheParsedTable()
    {
        var output = Run("madt");
        Assert.That(output, Does.Contain("local APIC 0xfee00000"));
        Assert.That(Regex.Matches(output, @"local APIC +\d+ +\d+ +enabled").Count, Is.EqualTo(Cpus), output);
        Assert.That(output, Does.Contain("enabled, boot CPU"));
        Assert.That(output, Does.Contain("I/O APIC 0 at 0xfec00000, GSI base 0"));
        Assert.That(output, Does.Contain("override: ISA IRQ 0 -> GSI 2"), "QEMU routes the PIT to GSI 2");
        Assert.That(output, Does.Contain("local NMI: LINT1 on every CPU"));
    }

    [Test, Order(5)]
    public void UnknownCommandsAndBadArgumentsGetOneLineAndTheShellGoesOn()
    {
        Assert.That(Lines(Run("frobnicate now")), Is.EqualTo(new[] { "unknown command 'frobnicate': 'help' lists the commands" }));
        Assert.That(Lines(Run("offline x")), Is.EqualTo(new[] { "offline: expected a CPU number from 0 to 3" }));
        Assert.That(Lines(Run("online 99")), Is.EqualTo(new[] { "online: expected a CPU number from 0 to 3" }));
        Assert.That(Lines(Run("kill 0")), Is.EqualTo(new[] { "kill: no live process has that endpoint" }));
        Assert.That(Lines(Run("bench nonsense")), Has.Exactly(1).Items);
        Assert.That(Run("help"), Does.Contain("offline N"), "the shell still answers");
    }

    [Test, Order(6)]
    public void EveryOtherCommandAnswers()
    {
        Assert.That(Run("ps"), Does.Match(@"shell +(runnable|receiving|sending)"));
        Assert.That(Run("ps heap"), Does.Match(@"shell +(runnable|receiving|sending) +[1-9]\d* +\d+ +\d+ +\d+ us"), "the shell allocates in a heap of its own");
        Assert.That(Run("mem"), Does.Match(@"pages: +\d+ free of \d+").And.Match(@"kernel heap: \d+ bytes in \d+ blocks").And.Match(@"kernel task heap: \d+ pages").And.Match(@"process heaps: \d+ pages"));
        Assert.That(Run("ipi 3"), Does.Match(@"CPU 0 -> CPU 3 and back, 100 times:\n  fastest \d+ cycles"));
        Assert.That(Run("lockstat"), Does.Match(@"all +\d+"));
        Assert.That(Run("log 3"), Does.Contain("boot: up:"));
        var kill = Run($"kill {ShellEndpoint()}");
        Assert.That(kill, Does.Contain("kill: refused: a system process"));
        Assert.That(Run("selftest format"), Does.Match(@"SELFTEST: \d+ passed, 0 failed"));
        Assert.That(Run("selftest ioapic"), Does.Match(@"SELFTEST: \d+ passed, 0 failed"), "the I/O APIC tests put COM1's route back...");
        Assert.That(Run("bench ipi"), Does.Contain("BENCH {"), "...so typing still works");
    }

    [Test, Order(7)]
    public void OutputFitsAnEightyColumnScreen()
    {
        // The VGA text console is 80 columns: a wider line wraps and breaks a table.
        foreach (var command in new[] { "help", "cpus", "ps", "ps heap", "mem", "lockstat", "alt", "madt", "ipi 1", "log 5" })
            foreach (var line in Lines(Run(command)).Where(line => !line.StartsWith('[')))   // log lines are as long as they are
                Assert.That(line.Length, Is.LessThan(80), $"'{command}' printed a line too wide for the screen:\n{line}");
    }

    [Test, Order(8)]
    public void LineEditingAndHistoryWork()
    {
        // "cpu", two steps left, "s" typed there: "cspu" (the echo redraws the rest of the line and steps back).
        Assert.That(Run("cpu\u001b[D\u001b[Ds", echo: "spu\u001b[2D"), Does.Contain("unknown command 'cspu'"));
        // Ctrl-C abandons the line: nothing runs.
        Assert.That(Run("abc\u0003", echo: "abc^C"), Is.Empty);
        // Up recalls the last line, redrawn in place.
        Run("cpus");
        Assert.That(Run("\u001b[A", echo: "cpus\u001b[K"), Does.Contain("4 of 4 CPUs online"));
    }

    [Test, Order(100)]
    public void PanicAsksFirst()
    {
        Assert.That(Run("panic"), Does.Contain("Type 'yes' to panic"));
        Assert.That(Run("no"), Does.Contain("not panicking"));
        var qemu = shell.Qemu;
        int from = qemu.Serial.Length;
        qemu.Type("panic\ryes\r");
        Assert.That(qemu.WaitForText("PANIC on CPU", from, ShellSession.CommandLimit), Is.GreaterThan(0), qemu.Report());
        Assert.That(qemu.WaitForText("other CPUs stopped", from, ShellSession.CommandLimit), Is.GreaterThan(0), qemu.Report());
        Assert.That(qemu.WaitForText("PANIC {\"cpu\":", from, ShellSession.CommandLimit), Is.GreaterThan(0), $"the report ends with its JSON line\n{qemu.Report()}");
    }

    string ShellEndpoint() => Regex.Match(Run("ps"), @"\d+ +(?<endpoint>\d+) +shell ").Groups["endpoint"].Value;

    string Run(string keys, string? echo = null) => shell.Run(keys, echo);

    static string[] Lines(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [GeneratedRegex(@"^ +(?<cpu>\d+) +(?<apic>\d+) +(?<state>\w+) ", RegexOptions.Multiline)]
    private static partial Regex CpuRow();
}

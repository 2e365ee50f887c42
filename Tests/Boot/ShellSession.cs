using KernelRunner;
using NUnit.Framework;

namespace Kernel.Tests.Boot;

/// <summary>
/// A QEMU booted into the kernel shell, typed at through COM1 as a user at a terminal would: a command and Enter,
/// then its answer, read from the echoed line to the next prompt (or to a question the command asks).
/// </summary>
public sealed class ShellSession : IDisposable
{
    public const string Prompt = "kernel> ";
    public const string PanicQuestion = "Type 'yes' to panic: ";
    static readonly TimeSpan BootLimit = TimeSpan.FromSeconds(90);
    public static readonly TimeSpan CommandLimit = TimeSpan.FromSeconds(60);

    readonly IDisposable qemuSlot;

    ShellSession(BootConfiguration machine)
    {
        KernelBoot.RequireIsoAndQemu();
        qemuSlot = KernelBoot.TakeQemuSlot();
        Qemu = QemuSession.Start(machine.ToQemuOptions(KernelBoot.Repo.KernelIso, machine.KernelOptions, TimeSpan.FromMinutes(5)) with { SerialInput = true });
    }

    public QemuSession Qemu { get; }

    /// <summary>Boots <paramref name="machine"/> and waits for the shell's first prompt.</summary>
    public static ShellSession Start(BootConfiguration machine)
    {
        var session = new ShellSession(machine);
        if (session.Qemu.WaitForText(Prompt, 0, BootLimit) < 0)
        {
            var report = session.Qemu.Report();
            session.Dispose();
            Assert.Fail($"no shell prompt\n{report}");
        }
        return session;
    }

    /// <summary>Types <paramref name="keys"/> and Enter; what the shell printed between the echoed line and the next prompt or question.</summary>
    /// <param name="echo">The end of the echo when it is not the keys themselves (editing keys redraw the line).</param>
    /// <param name="limit">How long the command may take; CommandLimit unless given.</param>
    public string Run(string keys, string? echo = null, TimeSpan? limit = null)
    {
        int from = Qemu.Serial.Length;
        Qemu.Type(keys + "\r");
        int answer = Qemu.WaitForText((echo ?? keys) + "\r\n", from, CommandLimit);
        Assert.That(answer, Is.GreaterThan(0), $"the shell did not echo '{keys}'\n{Qemu.Report()}");
        int end = WaitForPromptOrQuestion(answer, limit ?? CommandLimit);
        Assert.That(end, Is.GreaterThan(0), $"no prompt after '{keys}'\n{Qemu.Report()}");
        return Qemu.Serial[answer..end].Replace("\r\n", "\n");
    }

    /// <summary>Types a command that ends the machine (poweroff, reboot); how QEMU ended.</summary>
    public QemuExit RunToExit(string command)
    {
        Qemu.Type(command + "\r");
        var exit = Qemu.WaitForExit(CommandLimit);
        Assert.That(exit, Is.Not.Null, $"QEMU still runs after '{command}'\n{Qemu.Report()}");
        return exit!.Value;
    }

    int WaitForPromptOrQuestion(int from, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < deadline && !Qemu.HasExited)
        {
            var output = Qemu.Serial;
            int prompt = output.IndexOf(Prompt, from, StringComparison.Ordinal);
            if (prompt >= 0) return prompt;
            int question = output.IndexOf(PanicQuestion, from, StringComparison.Ordinal);
            if (question >= 0) return question + PanicQuestion.Length;
            Thread.Sleep(20);
        }
        return -1;
    }

    public void Dispose()
    {
        Qemu.Dispose();
        qemuSlot.Dispose();
    }
}

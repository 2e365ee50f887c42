using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace KernelRunner;

/// <summary>One complete COM1 line: its index in the run's output, its text without the line end, and when it arrived.</summary>
public sealed record SerialLine(int Number, string Text, TimeSpan ReceivedAt);

/// <summary>
/// A captured QEMU that keeps running while the caller drives it over QMP and waits for the guest's answers on COM1,
/// for tests of events from outside the guest (CPU hot-plug). Disposing it kills QEMU, as does the host being
/// told to stop (through <see cref="QemuRunner"/>'s signal handlers) or <see cref="QemuOptions.Timeout"/> passing.
/// </summary>
public sealed class QemuSession : IDisposable
{
    readonly Process qemu;
    readonly Stopwatch clock;
    readonly QemuRunner.SerialCapture serial = new();
    readonly Task serialReading;
    readonly StringBuilder stderr = new();
    readonly DirectoryInfo socketDirectory;
    readonly string socketPath;
    readonly Timer hangGuard;

    QemuSession(QemuOptions options)
    {
        // A private directory makes the socket path unique and short (unix socket paths end at 107 bytes).
        socketDirectory = Directory.CreateTempSubdirectory("kernel-qmp-");
        socketPath = Path.Combine(socketDirectory.FullName, "qmp.sock");
        var argv = QemuCommand.Build(options with { QmpSocketPath = socketPath }, QemuMode.Captured);
        CommandLine = QemuCommand.ToShellLine(argv);
        clock = Stopwatch.StartNew();
        qemu = QemuRunner.Start(argv, redirect: true);
        hangGuard = new Timer(_ => QemuRunner.Forget(qemu), null, options.Timeout, Timeout.InfiniteTimeSpan);
        // QEMU's stdio serial backend reads stdin: COM1's input. Without SerialInput it gets an immediate end of file.
        if (!options.SerialInput)
            qemu.StandardInput.Close();
        qemu.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
                lock (stderr)
                    stderr.AppendLine(line);
        };
        qemu.BeginErrorReadLine();
        serialReading = serial.ReadAsync(qemu.StandardOutput.BaseStream, clock);
    }

    /// <summary>Starts QEMU with a QMP socket of its own and connects to it; COM1 is captured from the first byte.</summary>
    public static QemuSession Start(QemuOptions options)
    {
        var session = new QemuSession(options);
        try
        {
            session.Qmp = QmpClient.Connect(session.socketPath, options.QmpTimeout, session.clock, () => session.qemu.HasExited);
            return session;
        }
        catch (Exception error) when (error is TimeoutException or IOException)
        {
            // Typically QEMU refused its command line: let its stderr, complete once it has exited, say why.
            QemuRunner.Forget(session.qemu);
            session.qemu.WaitForExit();
            var report = session.Report();
            session.Dispose();
            throw new InvalidOperationException($"{error.Message}\n{report}", error);
        }
    }

    public QmpClient Qmp { get; private set; } = null!;

    public string CommandLine { get; }

    /// <summary>Time since QEMU was started, on the clock that stamps serial lines and QMP events.</summary>
    public TimeSpan Elapsed => clock.Elapsed;

    /// <summary>COM1 output so far, verbatim.</summary>
    public string Serial => serial.Text;

    /// <summary>Complete lines so far: the index of the next line to arrive, for <see cref="WaitForLine(Regex, int, TimeSpan)"/>.</summary>
    public int LineCount => serial.LineCount;

    public int ProcessId => qemu.Id;

    public bool HasExited => qemu.HasExited;

    public string Stderr
    {
        get
        {
            lock (stderr)
                return stderr.ToString();
        }
    }

    /// <summary>Waits for QEMU to end by itself; how it ended, or null if it still runs after <paramref name="timeout"/>.</summary>
    public QemuExit? WaitForExit(TimeSpan timeout) =>
        qemu.WaitForExit(timeout) ? QemuRunner.ExitOf(qemu.ExitCode, Serial, Stderr) : null;

    /// <summary>Sends <paramref name="text"/> to COM1 as if typed (the session must have been started with SerialInput).</summary>
    public void Type(string text)
    {
        qemu.StandardInput.Write(text);
        qemu.StandardInput.Flush();
    }

    /// <summary>
    /// Waits until COM1's output from character <paramref name="from"/> on contains <paramref name="text"/>; the index
    /// just after it, or -1 after the time-out or once QEMU has exited.
    /// </summary>
    public int WaitForText(string text, int from, TimeSpan timeout)
    {
        var deadline = clock.Elapsed + timeout;
        while (true)
        {
            var output = Serial;
            int at = from < output.Length ? output.IndexOf(text, from, StringComparison.Ordinal) : -1;
            if (at >= 0) return at + text.Length;
            if (clock.Elapsed > deadline || qemu.HasExited) return -1;
            Thread.Sleep(20);
        }
    }

    /// <summary>The first line from index <paramref name="fromLine"/> on matching <paramref name="pattern"/>; null after the time-out or once QEMU has exited.</summary>
    public SerialLine? WaitForLine(Regex pattern, int fromLine, TimeSpan timeout) =>
        serial.WaitForLine(line => pattern.IsMatch(line.Text), fromLine, timeout);

    /// <summary>The first line from index <paramref name="fromLine"/> on that <paramref name="match"/> accepts; null after the time-out or once QEMU has exited.</summary>
    public SerialLine? WaitForLine(Func<SerialLine, bool> match, int fromLine, TimeSpan timeout) =>
        serial.WaitForLine(match, fromLine, timeout);

    /// <summary>Complete lines from <paramref name="from"/> up to, not including, <paramref name="to"/>.</summary>
    public IReadOnlyList<SerialLine> Lines(int from, int to) => serial.Lines(from, to);

    /// <summary>What a failure shows: how to reproduce, whether QEMU still runs, its stderr and the last serial lines.</summary>
    public string Report(int serialLines = 30)
    {
        var errors = Stderr.Trim();
        // .NET reports death by signal N as status 128 + N, which QemuExit alone would read as a guest exit value.
        var signal = qemu.HasExited && qemu.ExitCode > 128 ? $", or killed by signal {qemu.ExitCode - 128}" : "";
        var state = qemu.HasExited ? $"QEMU exited ({QemuRunner.ExitOf(qemu.ExitCode, Serial, errors).Description}{signal})" : "QEMU still running";
        var lines = Serial.Replace("\r\n", "\n").TrimEnd('\n').Split('\n').TakeLast(serialLines);
        return $"{state} after {Elapsed.TotalSeconds:F1} s\n" +
               $"command: {CommandLine}\n" +
               (errors.Length > 0 ? $"QEMU stderr:\n{errors}\n" : "") +
               $"last serial lines:\n{string.Join('\n', lines)}";
    }

    public void Dispose()
    {
        hangGuard.Dispose();
        Qmp?.Dispose(); // null when Start could not connect
        QemuRunner.Forget(qemu);
        qemu.WaitForExit();
        serialReading.Wait(TimeSpan.FromSeconds(5));
        qemu.Dispose();
        socketDirectory.Delete(recursive: true);
    }
}

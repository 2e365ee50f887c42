using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace KernelRunner;

/// <summary>Starts QEMU, either attached to the terminal or with COM1 captured under a time-out.</summary>
public static class QemuRunner
{
    /// <summary>Part of the first line the kernel logs; marks the end of firmware and boot loader time.</summary>
    public const string FirstKernelLogMarker = "boot: managed SMP kernel";

    static readonly ConcurrentDictionary<int, Process> RunningQemus = new();

    // A host process that ends, or is told to stop (an aborted test run's SIGTERM), must not leave QEMUs behind.
    // .NET does not raise ProcessExit on these signals, so they get their own handlers, which then let the
    // signal's default action proceed. Kept in a field: a collected registration unregisters itself.
    static readonly PosixSignalRegistration[] StopSignalHandlers =
        new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGHUP, PosixSignal.SIGQUIT }
            .Select(signal => PosixSignalRegistration.Create(signal, _ => KillAll()))
            .ToArray();

    static QemuRunner() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();

    static void KillAll()
    {
        foreach (var qemu in RunningQemus.Values)
            KillTree(qemu);
    }

    /// <summary>Boots with COM1 captured; a run longer than <see cref="QemuOptions.Timeout"/> is killed as a hang.</summary>
    public static QemuRunResult RunCaptured(QemuOptions options)
    {
        var argv = QemuCommand.Build(options, QemuMode.Captured);
        var serial = new SerialCapture();
        var clock = Stopwatch.StartNew();
        using var qemu = Start(argv, redirect: true);
        try
        {
            // QEMU's stdio serial backend also reads stdin; give it an immediate end of file.
            qemu.StandardInput.Close();
            var serialReading = serial.ReadAsync(qemu.StandardOutput.BaseStream, clock);
            var stderrReading = qemu.StandardError.ReadToEndAsync();
            var exited = qemu.WaitForExit(options.Timeout);
            var elapsed = clock.Elapsed;
            if (!exited)
                KillTree(qemu);
            qemu.WaitForExit();
            Task.WaitAll(serialReading, stderrReading);

            var serialText = serial.Text;
            var stderr = stderrReading.Result;
            var exit = !exited ? QemuExit.TimedOut : ExitOf(qemu.ExitCode, serialText, stderr);
            return new QemuRunResult
            {
                Exit = exit,
                CommandLine = QemuCommand.ToShellLine(argv),
                Serial = serialText,
                Stderr = stderr,
                Elapsed = elapsed,
                TimeToFirstSerialByte = serial.FirstByteAt,
                TimeToFirstKernelLogLine = serial.FirstKernelLogLineAt,
            };
        }
        finally
        {
            Forget(qemu);
        }
    }

    /// <summary>
    /// How a QEMU that exited by itself ended; status 1 is also what QEMU returns when it refuses its command line.
    /// Warnings alone (TCG dropping a CPU model's features) are not a refusal: a run without a serial port has no output
    /// to tell them apart by.
    /// </summary>
    internal static QemuExit ExitOf(int status, string serial, string stderr) =>
        status == 1 && serial.Length == 0 && HasError(stderr) ? QemuExit.StartupError : QemuExit.FromStatus(status);

    static bool HasError(string stderr) =>
        stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
              .Any(line => !line.Contains("warning:", StringComparison.Ordinal));

    /// <summary>Boots with COM1 and the QEMU monitor on this terminal and waits for QEMU to end.</summary>
    public static QemuExit RunInteractive(QemuOptions options)
    {
        using var qemu = Start(QemuCommand.Build(options, QemuMode.Interactive), redirect: false);
        // Ctrl-C reaches QEMU too (same process group); stay alive to report how it ended.
        ConsoleCancelEventHandler keepRunning = (_, e) => e.Cancel = true;
        Console.CancelKeyPress += keepRunning;
        try
        {
            qemu.WaitForExit();
            return QemuExit.FromStatus(qemu.ExitCode);
        }
        finally
        {
            Console.CancelKeyPress -= keepRunning;
            Forget(qemu);
        }
    }

    internal static Process Start(IReadOnlyList<string> argv, bool redirect)
    {
        var process = ParentBoundProcess.Start(argv, redirect);
        RunningQemus[process.Id] = process;
        return process;
    }

    /// <summary>Kills <paramref name="qemu"/> if it still runs and stops tracking it.</summary>
    internal static void Forget(Process qemu)
    {
        if (!qemu.HasExited)
            KillTree(qemu);
        RunningQemus.TryRemove(qemu.Id, out _);
    }

    static void KillTree(Process qemu)
    {
        try
        {
            qemu.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited in the meantime.
        }
    }

    /// <summary>
    /// Collects COM1 bytes as they arrive, split into lines stamped with their arrival, and timestamps the first byte
    /// and the first kernel log line. Thread-safe, so a live <see cref="QemuSession"/> can wait on it while it fills.
    /// </summary>
    internal sealed class SerialCapture
    {
        readonly object gate = new(); // an object, not a Lock: waiters use Monitor.Wait
        readonly StringBuilder text = new();
        readonly StringBuilder unfinishedLine = new();
        readonly List<SerialLine> lines = [];
        readonly Decoder decoder = Encoding.UTF8.GetDecoder();
        bool ended;

        public TimeSpan? FirstByteAt { get; private set; }
        public TimeSpan? FirstKernelLogLineAt { get; private set; }

        public string Text
        {
            get
            {
                lock (gate)
                    return text.ToString();
            }
        }

        public int LineCount
        {
            get
            {
                lock (gate)
                    return lines.Count;
            }
        }

        /// <summary>Complete lines from <paramref name="from"/> up to, not including, <paramref name="to"/>.</summary>
        public IReadOnlyList<SerialLine> Lines(int from, int to)
        {
            lock (gate)
                return lines.GetRange(from, Math.Min(to, lines.Count) - from);
        }

        public async Task ReadAsync(Stream serial, Stopwatch clock)
        {
            var bytes = new byte[4096];
            var chars = new char[Encoding.UTF8.GetMaxCharCount(bytes.Length)];
            try
            {
                int count;
                while ((count = await serial.ReadAsync(bytes)) > 0)
                {
                    var now = clock.Elapsed;
                    var charCount = decoder.GetChars(bytes, 0, count, chars, 0);
                    lock (gate)
                    {
                        FirstByteAt ??= now;
                        text.Append(chars, 0, charCount);
                        AddLines(chars.AsSpan(0, charCount), now);
                        Monitor.PulseAll(gate);
                    }
                }
            }
            finally
            {
                lock (gate)
                {
                    ended = true;
                    Monitor.PulseAll(gate);
                }
            }
        }

        /// <summary>
        /// The first complete line from index <paramref name="fromLine"/> on that <paramref name="match"/> accepts,
        /// or null after <paramref name="timeout"/> or once the output has ended (QEMU exited).
        /// </summary>
        public SerialLine? WaitForLine(Func<SerialLine, bool> match, int fromLine, TimeSpan timeout)
        {
            var waited = Stopwatch.StartNew();
            lock (gate)
            {
                for (var next = fromLine; ; next++)
                {
                    while (next >= lines.Count)
                    {
                        var left = timeout - waited.Elapsed;
                        if (ended || left <= TimeSpan.Zero)
                            return null;
                        Monitor.Wait(gate, left);
                    }
                    if (match(lines[next]))
                        return lines[next];
                }
            }
        }

        void AddLines(ReadOnlySpan<char> received, TimeSpan now)
        {
            foreach (var c in received)
            {
                if (c != '\n')
                {
                    unfinishedLine.Append(c);
                    continue;
                }
                var line = unfinishedLine.ToString().TrimEnd('\r');
                unfinishedLine.Clear();
                lines.Add(new SerialLine(lines.Count, line, now));
                if (FirstKernelLogLineAt is null && line.Contains(FirstKernelLogMarker))
                    FirstKernelLogLineAt = now;
            }
        }
    }
}

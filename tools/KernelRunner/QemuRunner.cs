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
            var exit = !exited ? QemuExit.TimedOut
                : qemu.ExitCode == 1 && serialText.Length == 0 && stderr.Length > 0 ? QemuExit.StartupError
                : QemuExit.FromStatus(qemu.ExitCode);
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

    static Process Start(IReadOnlyList<string> argv, bool redirect)
    {
        var startInfo = new ProcessStartInfo(argv[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = redirect,
            RedirectStandardOutput = redirect,
            RedirectStandardError = redirect,
        };
        foreach (var arg in argv.Skip(1))
            startInfo.ArgumentList.Add(arg);
        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"could not start {argv[0]}");
        RunningQemus[process.Id] = process;
        return process;
    }

    static void Forget(Process qemu)
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

    /// <summary>Collects COM1 bytes as they arrive and timestamps the first byte and the first kernel log line.</summary>
    sealed class SerialCapture
    {
        readonly StringBuilder text = new();
        readonly Decoder decoder = Encoding.UTF8.GetDecoder();

        public TimeSpan? FirstByteAt { get; private set; }
        public TimeSpan? FirstKernelLogLineAt { get; private set; }
        public string Text => text.ToString();

        public async Task ReadAsync(Stream serial, Stopwatch clock)
        {
            var bytes = new byte[4096];
            var chars = new char[Encoding.UTF8.GetMaxCharCount(bytes.Length)];
            int count;
            while ((count = await serial.ReadAsync(bytes)) > 0)
            {
                FirstByteAt ??= clock.Elapsed;
                var searchFrom = Math.Max(0, text.Length - FirstKernelLogMarker.Length);
                text.Append(chars, 0, decoder.GetChars(bytes, 0, count, chars, 0));
                if (FirstKernelLogLineAt is null && text.ToString(searchFrom, text.Length - searchFrom).Contains(FirstKernelLogMarker))
                    FirstKernelLogLineAt = clock.Elapsed;
            }
        }
    }
}

using System.Diagnostics;
using System.Text.RegularExpressions;

namespace KernelRunner;

/// <summary>One boot under Bochs, the second emulator: another APIC model, another CPU model, another timing.</summary>
public sealed record BochsOptions
{
    public int Cpus { get; init; } = 4;

    /// <summary>A model from <c>bochs -help cpu</c>; "bx_generic" (Bochs' default) has no x2APIC, "corei7_skylake_x" has.</summary>
    public string CpuModel { get; init; } = "bx_generic";

    public int MemoryMegabytes { get; init; } = 256;

    /// <summary>Kernel options. Bochs has no fw_cfg: they go on the GRUB command line of an ISO made for the run.</summary>
    public string KernelCmdline { get; init; } = "";

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(9);
}

/// <summary>
/// Boots the kernel under Bochs 2.7 (Debian's build) headless, with COM1 captured: Debian builds Bochs without its
/// "nogui" display, and the "term" display aborts without a terminal, so Bochs runs under <c>script</c> on a
/// pseudo-terminal, told to continue ("c") by a debugger command file (`-rc`): the Debian build starts in its debugger.
/// (A "c" typed on the terminal is at the mercy of its set-up, which may discard input typed before it: once, under load,
/// a run so started printed nothing for nine minutes.) COM1 goes to a file the
/// runner follows as it fills. Bochs has no isa-debug-exit: the kernel quits it through its shutdown port
/// (Arch.x86/EmulatorExit.cs), and the verdict is read from the self-test summary or panic report.
/// </summary>
public static partial class BochsRunner
{
    public const string Executable = "bochs";
    const string Rom = "/usr/share/bochs/BIOS-bochs-latest";
    const string VgaRom = "/usr/share/bochs/VGABIOS-lgpl-latest";
    const long InstructionsPerSecond = 100_000_000;   // guest time = instructions / ips: the TSC runs at 100 MHz

    public static QemuRunResult RunCaptured(RepoLayout repo, BochsOptions options)
    {
        var work = Directory.CreateTempSubdirectory("kernel-bochs-");
        try
        {
            var iso = Path.Combine(work.FullName, "kernel.iso");
            GrubImage.Build(repo, options.KernelCmdline, serialConsole: true, iso);
            var com1 = Path.Combine(work.FullName, "com1.log");
            File.WriteAllBytes(com1, []);
            var config = Path.Combine(work.FullName, "bochsrc");
            File.WriteAllText(config, Config(options, iso, com1, Path.Combine(work.FullName, "bochs.log")));
            var debuggerCommands = Path.Combine(work.FullName, "continue.rc");
            File.WriteAllText(debuggerCommands, "c\n");
            return Run(options, config, debuggerCommands, com1);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    static QemuRunResult Run(BochsOptions options, string config, string debuggerCommands, string com1)
    {
        string[] argv = ["script", "-q", "-e", "-c", $"exec {Executable} -q -f {config} -rc {debuggerCommands}", "/dev/null"];
        var serial = new QemuRunner.SerialCapture();
        var clock = Stopwatch.StartNew();
        using var bochs = QemuRunner.Start(argv, redirect: true);
        try
        {
            using var stopFollowing = new CancellationTokenSource();
            var serialReading = Task.Run(async () =>
            {
                await using var stream = new FollowedFile(com1, stopFollowing.Token);
                await serial.ReadAsync(stream, clock);
            });
            var terminalReading = bochs.StandardOutput.ReadToEndAsync();
            var screenDraining = Task.Run(() => DrainScreenTerminal(bochs.Id, options.Timeout));
            var stderrReading = bochs.StandardError.ReadToEndAsync();

            // The kernel ends a test run through Bochs' shutdown port, which flushes the COM1 file Bochs buffers; a run
            // that never gets there (a hang, a panic outside a test run) shows what was flushed by the time-out.
            SerialLine? verdict = null;
            while (verdict is null && !bochs.HasExited && clock.Elapsed < options.Timeout)
                verdict = serial.WaitForLine(line => Verdict().IsMatch(line.Text), 0, TimeSpan.FromSeconds(1));
            verdict ??= serial.WaitForLine(line => Verdict().IsMatch(line.Text), 0, TimeSpan.FromSeconds(2));
            if (verdict is not null && verdict.Text.Contains("PANIC"))
                serial.WaitForLine(line => line.Text.StartsWith("PANIC {"), verdict.Number, TimeSpan.FromSeconds(30));
            var elapsed = clock.Elapsed;
            QemuRunner.Forget(bochs);
            stopFollowing.Cancel();
            Task.WaitAll([serialReading, terminalReading, stderrReading, screenDraining], TimeSpan.FromSeconds(10));

            var text = serial.Text;
            return new QemuRunResult
            {
                Exit = ExitOf(verdict?.Text),
                CommandLine = string.Join(' ', argv),
                Serial = text,
                // Bochs' own messages (and the guest's port 0xE9 output) reach the pseudo-terminal, not stderr.
                Stderr = (terminalReading.IsCompletedSuccessfully ? terminalReading.Result : "") +
                         (stderrReading.IsCompletedSuccessfully ? stderrReading.Result : ""),
                Elapsed = elapsed,
                TimeToFirstSerialByte = serial.FirstByteAt,
                TimeToFirstKernelLogLine = serial.FirstKernelLogLineAt,
            };
        }
        finally
        {
            QemuRunner.Forget(bochs);
        }
    }

    /// <summary>
    /// Debian's Bochs is built with its debugger, and then the term display draws the guest's screen on a pseudo-terminal
    /// of its own (a /dev/ptmx it opens; the debugger keeps the one it was started on). Nobody attaches to it, so once
    /// its buffer fills (a few KiB of screen updates) Bochs blocks in write() and the whole machine stops, mid-line on
    /// COM1. This reads that terminal for as long as Bochs runs. Bochs is <c>script</c>'s child; its pty's number is
    /// the tty-index of its /dev/ptmx descriptor (/proc/PID/fdinfo).
    /// </summary>
    static void DrainScreenTerminal(int scriptPid, TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        string? slave = null;
        while (slave is null && waited.Elapsed < timeout)
        {
            slave = ScreenTerminalOf(scriptPid);
            if (slave is null) Thread.Sleep(50);
        }
        if (slave is null) return;
        try
        {
            using var screen = new FileStream(slave, FileMode.Open, FileAccess.Read);
            var buffer = new byte[4096];
            while (screen.Read(buffer) > 0) { }
        }
        catch (IOException)
        {
            // Bochs closed it: it has ended.
        }
    }

    static string? ScreenTerminalOf(int scriptPid)
    {
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{scriptPid}/task"))
                foreach (var child in File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    foreach (var fd in Directory.EnumerateFiles($"/proc/{child}/fd"))
                    {
                        if (new FileInfo(fd).LinkTarget != "/dev/ptmx") continue;
                        var index = File.ReadLines($"/proc/{child}/fdinfo/{Path.GetFileName(fd)}")
                                        .FirstOrDefault(line => line.StartsWith("tty-index:"));
                        if (index is not null) return $"/dev/pts/{index["tty-index:".Length..].Trim()}";
                    }
        }
        catch (IOException)
        {
            // A process came or went while we looked: look again.
        }
        catch (UnauthorizedAccessException)
        {
        }
        return null;
    }

    /// <summary>What QEMU's exit status would have said, read from the kernel's last word instead.</summary>
    public static QemuExit ExitOf(string? verdictLine)
    {
        if (verdictLine is null) return QemuExit.TimedOut;
        var summary = Verdict().Match(verdictLine);
        if (!summary.Groups["failed"].Success) return QemuExit.FromStatus(5);
        return QemuExit.FromStatus(int.Parse(summary.Groups["failed"].Value) == 0 ? 1 : 3);
    }

    /// <summary>The bochsrc: the ISO on the first ATA channel's master, COM1 to a file, the term display, no sound.</summary>
    public static string Config(BochsOptions options, string iso, string com1, string log) => $"""
        megs: {options.MemoryMegabytes}
        cpu: count={options.Cpus}, ips={InstructionsPerSecond}, model={options.CpuModel}
        romimage: file={Rom}
        vgaromimage: file={VgaRom}
        ata0-master: type=cdrom, path={iso}, status=inserted
        boot: cdrom
        com1: enabled=1, mode=file, dev={com1}
        display_library: term
        sound: driver=dummy
        speaker: enabled=0
        port_e9_hack: enabled=1
        log: {log}
        """;

    /// <summary>A file another process is still writing, read as a stream that ends only when told to (after the last write).</summary>
    sealed class FollowedFile(string path, CancellationToken stop) : Stream
    {
        readonly FileStream file = new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (true)
            {
                int count = await file.ReadAsync(buffer, cancellationToken);
                if (count > 0) return count;
                if (stop.IsCancellationRequested) return 0;
                try { await Task.Delay(50, stop); }
                catch (OperationCanceledException) { }
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) file.Dispose();
            base.Dispose(disposing);
        }
    }

    [GeneratedRegex(@"^SELFTEST: (?:(?<passed>\d+) passed, (?<failed>\d+) failed, \d+ skipped|PANIC)|^PANIC on CPU \d+")]
    private static partial Regex Verdict();
}

using KernelRunner;
using NUnit.Framework;

namespace Kernel.Tests.Boot;

/// <summary>One QEMU boot of the kernel ISO for the tests: its raw run, the parsed self-test log, a saved serial log.</summary>
public sealed record KernelBoot(string Name, QemuRunResult Run, SelfTestLog Log, string SerialLogPath)
{
    const string TimeoutVariable = "KERNEL_TEST_TIMEOUT";
    static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(180);

    // Bochs interprets every instruction: the whole suite takes it a few minutes where TCG takes seconds.
    const int BochsSlowdown = 3;

    // Two host cores: a third TCG guest would only slow the others down (and the lead may be booting one too).
    static readonly SemaphoreSlim QemuSlots = new(2);

    static readonly Lazy<RepoLayout> LazyRepo = new(() => RepoLayout.Find(AppContext.BaseDirectory));

    public static RepoLayout Repo => LazyRepo.Value;

    /// <summary>Seconds from KERNEL_TEST_TIMEOUT, else 180 s: generous for TCG on a loaded host.</summary>
    public static TimeSpan Timeout =>
        double.TryParse(Environment.GetEnvironmentVariable(TimeoutVariable), out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : DefaultTimeout;

    /// <summary>Boots <paramref name="configuration"/> with <paramref name="kernelCmdline"/>; fails the caller if there is no ISO.</summary>
    public static KernelBoot Start(string name, BootConfiguration configuration, string kernelCmdline)
    {
        var repo = Repo with { Variant = configuration.KernelVariant };
        RequireIsoAndQemu(repo);
        QemuRunResult run;
        using (TakeQemuSlot())
            run = configuration.Emulator == Emulator.Bochs
                ? BochsRunner.RunCaptured(repo, configuration.ToBochsOptions(kernelCmdline, Timeout * BochsSlowdown))
                : QemuRunner.RunCaptured(configuration.ToQemuOptions(repo.KernelIso, kernelCmdline, Timeout));
        var serialLogPath = SaveSerialLog(name, run.Serial);

        var boot = new KernelBoot(name, run, SelfTestLog.Parse(run.Serial), serialLogPath);
        TestContext.Progress.WriteLine($"{name}: {boot.Timing} ({run.Exit.Description})");
        return boot;
    }

    /// <summary>Fails the caller if there is no ISO to boot or no QEMU (new enough) to boot it with.</summary>
    public static void RequireIsoAndQemu() => RequireIsoAndQemu(Repo);

    static void RequireIsoAndQemu(RepoLayout repo)
    {
        if (!File.Exists(repo.KernelIso))
            Assert.Fail($"{repo.KernelIso} does not exist: {RepoLayout.BuildHint}");
        if (HostPrerequisites.QemuProblem is { } qemuProblem)
            Assert.Fail(qemuProblem);
    }

    /// <summary>Waits for one of the host's QEMU slots, for tests that run QEMU themselves; disposing frees it.</summary>
    public static IDisposable TakeQemuSlot()
    {
        QemuSlots.Wait();
        return new QemuSlot();
    }

    /// <summary>Keeps a run's COM1 output in artifacts/boot-tests/NAME.serial.log and returns that path.</summary>
    public static string SaveSerialLog(string name, string serial)
    {
        var logDirectory = Path.Combine(Repo.Root, "artifacts", "boot-tests");
        Directory.CreateDirectory(logDirectory);
        var serialLogPath = Path.Combine(logDirectory, $"{name}.serial.log");
        File.WriteAllText(serialLogPath, serial);
        return serialLogPath;
    }

    /// <summary>The guest hung, panicked, triple-faulted or never started: none of its test reports can be trusted.</summary>
    public bool Crashed => !Run.Exit.IsCleanSelfTestRun;

    public string Timing =>
        $"boot {Seconds(Run.Elapsed)}, first kernel log line after {Seconds(Run.TimeToFirstKernelLogLine)}, " +
        $"first serial byte after {Seconds(Run.TimeToFirstSerialByte)}";

    /// <summary>What a failing test shows: the exit meaning, how to reproduce, and where the guest stopped.</summary>
    public string Report()
    {
        var stderr = Run.Stderr.Trim().Length > 0 ? $"QEMU stderr:\n{Run.Stderr.Trim()}\n" : "";
        return $"{Name}: {Run.Exit.Description}\n" +
               $"command: {Run.CommandLine}\n" +
               $"serial log: {SerialLogPath}\n" +
               stderr +
               $"last serial lines:\n{Run.SerialTail()}";
    }

    sealed class QemuSlot : IDisposable
    {
        int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
                QemuSlots.Release();
        }
    }

    static string Seconds(TimeSpan? span) => span is { } value ? $"{value.TotalSeconds:F2} s" : "never";
}

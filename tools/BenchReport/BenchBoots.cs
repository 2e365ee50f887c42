using KernelRunner;
using Spectre.Console;

namespace BenchReport;

/// <summary>Boots the configurations one after the other (two host cores: a second TCG guest would skew both) and keeps going past failures.</summary>
public static class BenchBoots
{
    public static IReadOnlyList<BenchRun> RunAll(IReadOnlyList<BenchConfiguration> configurations, Func<BenchConfiguration, string> isoPath, bool uefi, TimeSpan timeout, string logDirectory)
    {
        var runs = new List<BenchRun>();
        for (var i = 0; i < configurations.Count; i++)
        {
            var configuration = configurations[i];
            AnsiConsole.MarkupLine($"[bold][[{i + 1}/{configurations.Count}]][/] {Markup.Escape(configuration.Label)}: " +
                                   $"-smp {configuration.QemuSmp} -cpu {configuration.QemuCpu}, kernel options '{Markup.Escape(configuration.KernelCmdline)}'");
            var run = Boot(configuration, isoPath(configuration), uefi, timeout, logDirectory);
            AnsiConsole.MarkupLine(run.Succeeded
                ? $"      ok, {run.Output!.Results.Count} measurements in {BenchRun.FormatSeconds(run.Seconds)}"
                : $"      [red]FAILED[/]: {Markup.Escape(run.Error!)}");
            runs.Add(run);
        }
        return runs;
    }

    static BenchRun Boot(BenchConfiguration configuration, string isoPath, bool uefi, TimeSpan timeout, string logDirectory)
    {
        var options = new QemuOptions
        {
            Smp = configuration.QemuSmp,
            Cpu = configuration.QemuCpu,
            Memory = configuration.Memory,
            Uefi = uefi,
            KernelCmdline = configuration.KernelCmdline,
            IsoPath = isoPath,
            Timeout = timeout,
        };
        var serialLog = Path.Combine(logDirectory, $"{configuration.Name}.serial.log");
        QemuRunResult result;
        try
        {
            result = QemuRunner.RunCaptured(options);
        }
        catch (FileNotFoundException missingFirmware)
        {
            return new BenchRun(configuration, null, missingFirmware.Message, "not started", 0, serialLog);
        }
        File.WriteAllText(serialLog, result.Serial);
        return BenchRun.FromQemu(configuration, result, serialLog);
    }
}

using System.Text.RegularExpressions;

namespace Kernel.Tests.Boot;

public enum SelfTestOutcome
{
    Pass,
    Fail,
    Skip,
}

/// <summary>One <c>TEST &lt;suite&gt;.&lt;name&gt; PASS|FAIL|SKIP &lt;ms&gt;ms [message]</c> line.</summary>
public sealed record SelfTestResult(string Name, SelfTestOutcome Outcome, int Milliseconds, string Message);

/// <summary>The <c>SELFTEST: &lt;N&gt; passed, &lt;N&gt; failed, &lt;N&gt; skipped</c> line.</summary>
public sealed record SelfTestSummary(int Passed, int Failed, int Skipped);

/// <summary>
/// The self-test protocol as the kernel prints it on COM1. Firmware and boot loader write whatever they like
/// before the kernel (OVMF: ANSI escapes without line ends), so lines are found by their markers, never by position.
/// </summary>
public sealed partial class SelfTestLog
{
    public required IReadOnlyList<SelfTestResult> Results { get; init; }

    public SelfTestSummary? Summary { get; init; }

    /// <summary>The reason from <c>SELFTEST: PANIC &lt;reason&gt;</c>, or null when the kernel did not panic.</summary>
    public string? PanicReason { get; init; }

    public bool KernelStarted { get; init; }

    /// <summary>N from the kernel's <c>smp: N CPUs online</c> line, or null when it never printed one.</summary>
    public int? OnlineCpus { get; init; }

    public static SelfTestLog Parse(string serial)
    {
        var results = new List<SelfTestResult>();
        SelfTestSummary? summary = null;
        string? panicReason = null;
        var kernelStarted = false;
        int? onlineCpus = null;

        foreach (var rawLine in serial.Split('\n'))
        {
            var line = TerminalEscape().Replace(rawLine, "").TrimEnd('\r');
            kernelStarted |= line.Contains(KernelRunner.QemuRunner.FirstKernelLogMarker);

            if (TestLine().Match(line) is { Success: true } test)
            {
                results.Add(new SelfTestResult(
                    test.Groups["name"].Value,
                    Enum.Parse<SelfTestOutcome>(test.Groups["outcome"].Value, ignoreCase: true),
                    int.Parse(test.Groups["ms"].Value),
                    test.Groups["message"].Value.Trim()));
            }
            else if (SummaryLine().Match(line) is { Success: true } counts)
            {
                summary ??= new SelfTestSummary(
                    int.Parse(counts.Groups["passed"].Value),
                    int.Parse(counts.Groups["failed"].Value),
                    int.Parse(counts.Groups["skipped"].Value));
            }
            else if (PanicLine().Match(line) is { Success: true } panic)
            {
                panicReason ??= panic.Groups["reason"].Value.Trim();
            }
            else if (OnlineLine().Match(line) is { Success: true } online)
            {
                onlineCpus ??= int.Parse(online.Groups["online"].Value);
            }
        }

        return new SelfTestLog { Results = results, Summary = summary, PanicReason = panicReason, KernelStarted = kernelStarted, OnlineCpus = onlineCpus };
    }

    /// <summary>The first report of <paramref name="name"/>, or null when the guest never reported it.</summary>
    public SelfTestResult? Find(string name) => Results.FirstOrDefault(result => result.Name == name);

    public int Count(SelfTestOutcome outcome) => Results.Count(result => result.Outcome == outcome);

    // CSI sequences (ESC [ params letter) and two-character escapes, plus stray control characters.
    [GeneratedRegex(@"\x1B\[[0-9;?=]*[ -/]*[@-~]|\x1B[@-Z\\-_]|[\x00-\x08\x0B-\x0C\x0E-\x1F\x7F]")]
    private static partial Regex TerminalEscape();

    [GeneratedRegex(@"\bTEST (?<name>\S+\.\S+) (?<outcome>PASS|FAIL|SKIP) (?<ms>\d+)ms(?: (?<message>.*))?$")]
    private static partial Regex TestLine();

    /// <summary>The kernel's summary line, `SELFTEST: N passed, N failed, N skipped`: what a live session waits for.</summary>
    public static Regex SummaryPattern => SummaryLine();

    [GeneratedRegex(@"\bSELFTEST: (?<passed>\d+) passed, (?<failed>\d+) failed, (?<skipped>\d+) skipped\b")]
    private static partial Regex SummaryLine();

    [GeneratedRegex(@"\bSELFTEST: PANIC\b(?<reason>.*)$")]
    private static partial Regex PanicLine();

    [GeneratedRegex(@"\bsmp: (?<online>\d+) CPUs? online\b")]
    private static partial Regex OnlineLine();
}

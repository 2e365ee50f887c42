using System.Globalization;
using KernelRunner;

namespace BenchReport;

/// <summary>One boot's outcome: the decoded BENCH line, or why there is none.</summary>
public sealed record BenchRun(BenchConfiguration Configuration, BenchOutput? Output, string? Error, string Exit, double Seconds, string SerialLog)
{
    public bool Succeeded => Output is not null;

    /// <summary>A measurement's value, or null if this boot has none by that name (or failed).</summary>
    public ulong? Value(string name) => Output?.Find(name)?.Value;

    /// <summary>A boot counts only if the kernel ended QEMU itself after printing a well-formed BENCH line.</summary>
    public static BenchRun FromQemu(BenchConfiguration configuration, QemuRunResult result, string serialLog)
    {
        var seconds = result.Elapsed.TotalSeconds;
        var exit = result.Exit.Description;
        if (result.Exit.Kind != QemuExitKind.AllTestsPassed)
        {
            var stderr = result.Stderr.Trim();
            var detail = result.TimedOut ? $"no end after {FormatSeconds(seconds)}" : stderr.Length > 0 ? $"QEMU: {FirstLine(stderr)}" : $"last line: {FirstLine(result.SerialTail(1))}";
            return new(configuration, null, $"{exit}; {detail}; serial log {serialLog}", exit, seconds, serialLog);
        }
        try
        {
            return new(configuration, BenchOutput.Parse(result.Serial), null, exit, seconds, serialLog);
        }
        catch (FormatException malformed)
        {
            return new(configuration, null, $"{malformed.Message}; serial log {serialLog}", exit, seconds, serialLog);
        }
    }

    public static string FormatSeconds(double seconds) => seconds.ToString("0.0 's'", CultureInfo.InvariantCulture);

    static string FirstLine(string text) => text.Split('\n')[0].TrimEnd('\r');
}

/// <summary>One row of the report: a measurement in display units across the configurations (null: not measured there).</summary>
public sealed record TableRow(string Name, string Unit, IReadOnlyList<double?> Values)
{
    public string Cell(int column) => Values[column] is { } value ? ResultTable.Format(value, Unit) : "–";
}

/// <summary>Rows = measurements, columns = the boots that produced a BENCH line, in the order they were asked for.</summary>
public sealed record ResultTable(IReadOnlyList<string> Columns, IReadOnlyList<TableRow> Rows)
{
    public static ResultTable Build(IReadOnlyList<BenchRun> runs)
    {
        var succeeded = runs.Where(run => run.Succeeded).ToList();
        var names = Metrics.ReportOrder(succeeded.SelectMany(run => run.Output!.Results.Select(m => m.Name)));
        var rows = names.Select(name =>
        {
            var unit = succeeded.Select(run => run.Output!.Find(name)?.Unit).First(u => u is not null)!;
            var values = succeeded.Select(run => run.Value(name) is { } raw ? (double?)ToDisplay(raw, unit) : null).ToList();
            return new TableRow(name, DisplayUnit(unit), values);
        }).ToList();
        return new ResultTable(succeeded.Select(run => run.Configuration.Label).ToList(), rows);
    }

    /// <summary>The kernel reports shares in hundredths of a percent; the report shows percent.</summary>
    public static string DisplayUnit(string unit) => unit switch
    {
        "0.01%" => "%",
        "us" => "µs",
        _ => unit,
    };

    public static double ToDisplay(ulong value, string kernelUnit) => kernelUnit == "0.01%" ? value / 100.0 : value;

    public static string Format(double value, string displayUnit) =>
        displayUnit == "%" ? value.ToString("0.00", CultureInfo.InvariantCulture) : value.ToString("#,0", CultureInfo.InvariantCulture);
}

using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace BenchReport;

/// <summary>Where and when the numbers were taken; goes into report.md and results.json.</summary>
public sealed record RunMetadata(string Date, string GitCommit, string HostCpu, int HostCores, string QemuVersion, string Firmware, double TimeoutSeconds);

/// <summary>The files `./build.sh bench` writes besides the plots: results.json for scripts, report.md for people.</summary>
public static class Report
{
    public const string Caveat =
        "These numbers come from QEMU's TCG, which translates every guest instruction in software on a shared host: they are " +
        "not hardware numbers. Costs are in the guest's TSC cycles; atomics and fences cost what TCG makes them cost (it emits " +
        "host atomics only when the machine can have a second vCPU, which is why one-CPU boots get an empty hot-plug slot), and once the vCPUs outnumber the host's cores a contended lock or a " +
        "cross-CPU round trip waits for the host to schedule the next vCPU: the `pvlocks=off` boots show that with spinning waits, " +
        "the others with waits that halt and are kicked, whose hand-offs to a halted vCPU cost `kick.latency` each. Compare configurations of one run, not runs of " +
        "different hosts; run on hardware or KVM for the kernel's own numbers.";

    // Relaxed escaping: the file is read by people and scripts, never embedded in HTML.
    static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Metadata, then each configuration as asked for: how the boot went and the BENCH line's content as the kernel reported it.</summary>
    public static string ResultsJson(RunMetadata metadata, IReadOnlyList<BenchRun> runs) => JsonSerializer.Serialize(new
    {
        Metadata = metadata,
        Caveat,
        Configurations = runs.Select(run => new
        {
            run.Configuration.Name,
            run.Configuration.Cpus,
            run.Configuration.QemuSmp,
            run.Configuration.KernelCmdline,
            Mode = BenchConfiguration.Describe(run.Configuration.Mode),
            run.Succeeded,
            run.Exit,
            run.Error,
            run.Seconds,
            run.SerialLog,
            Bench = run.Output,
        }),
    }, JsonOptions);

    public static string Markdown(RunMetadata metadata, IReadOnlyList<BenchRun> runs, ResultTable table, IReadOnlyList<(string File, string Title)> images)
    {
        var md = new StringBuilder();
        md.AppendLine("# Kernel benchmarks under QEMU TCG").AppendLine();
        md.AppendLine($"> **Caveat.** {Caveat}").AppendLine();

        md.AppendLine("| | |").AppendLine("|---|---|");
        md.AppendLine($"| date (UTC) | {metadata.Date} |");
        md.AppendLine($"| git commit | `{metadata.GitCommit}` |");
        md.AppendLine($"| host CPU | {metadata.HostCpu}, {metadata.HostCores} logical CPUs |");
        md.AppendLine($"| QEMU | {metadata.QemuVersion}, TCG, `-cpu qemu64`, {metadata.Firmware} |");
        md.AppendLine($"| boots | {string.Join("; ", runs.Select(Summary))} |").AppendLine();

        var failed = runs.Where(run => !run.Succeeded).ToList();
        if (failed.Count > 0)
        {
            md.AppendLine("## Failed boots").AppendLine();
            foreach (var run in failed)
                md.AppendLine($"- **{run.Configuration.Label}**: {run.Error} (serial log `{run.SerialLog}`)");
            md.AppendLine();
        }

        md.AppendLine("## Results").AppendLine();
        md.AppendLine("Rows are measurements, columns the boots (`smp N`: N CPUs online; `noalt` adds the kernel option `noalternatives`); – means not measured there.").AppendLine();
        md.AppendLine($"| measurement | unit | {string.Join(" | ", table.Columns)} |");
        md.AppendLine($"|---|---|{string.Concat(table.Columns.Select(_ => "--:|"))}");
        foreach (var row in table.Rows)
            md.AppendLine($"| `{row.Name}` | {row.Unit} | {string.Join(" | ", row.Values.Select((_, column) => row.Cell(column)))} |");
        md.AppendLine();

        if (images.Count > 0)
        {
            md.AppendLine("## Plots").AppendLine();
            foreach (var (file, title) in images)
                md.AppendLine($"![{title}]({file})").AppendLine();
        }

        md.AppendLine("## What each measurement is").AppendLine();
        foreach (var row in table.Rows.DistinctBy(row => Metrics.Key(row.Name)))
        {
            var description = Metrics.Describe(Metrics.Key(row.Name));
            md.AppendLine($"- `{Metrics.Key(row.Name)}` ({row.Unit}): {(description.Length > 0 ? description : "see Kernel/Bench")}");
        }
        return md.ToString();
    }

    static string Summary(BenchRun run) =>
        $"{run.Configuration.Label} ({BenchConfiguration.Describe(run.Configuration.Mode)}, `-smp {run.Configuration.QemuSmp}`, `{run.Configuration.KernelCmdline}`): " +
        (run.Succeeded ? string.Create(CultureInfo.InvariantCulture, $"{run.Seconds:F1} s") : "failed");
}

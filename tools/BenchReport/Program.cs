using System.CommandLine;
using BenchReport;
using KernelRunner;
using Spectre.Console;

var smp = new Option<string>("--smp")
{
    Description = "configurations to boot, in order: CPU counts; 'noalt' is one CPU with noalternatives (the unpatched baseline), 'N-noalt' N CPUs with it, 'maxcpus1' the MaxCpus=1 build on one CPU",
    DefaultValueFactory = _ => BenchConfiguration.DefaultList,
};
var uefi = new Option<bool>("--uefi") { Description = "boot through OVMF instead of SeaBIOS" };
var timeout = new Option<int>("--timeout") { Description = "seconds one boot may take before it counts as hung", DefaultValueFactory = _ => 180 };
var output = new Option<DirectoryInfo?>("--output") { Description = "where report.md, results.json, the plots and serial logs go (default: <repo>/artifacts/bench)" };
var iso = new Option<FileInfo?>("--iso") { Description = "ISO to boot (default: <repo>/artifacts/boot/kernel.iso; 'maxcpus1' always boots artifacts/boot-maxcpus1/kernel.iso)" };

var root = new RootCommand("Boots the kernel's in-guest benchmarks (kernel option `bench`) once per configuration and writes a report with plots.")
{
    smp, uefi, timeout, output, iso,
};
root.SetAction(parsed =>
{
    IReadOnlyList<BenchConfiguration> configurations;
    try
    {
        configurations = BenchConfiguration.ParseList(parsed.GetValue(smp)!);
    }
    catch (FormatException bad)
    {
        return Fail($"--smp: {bad.Message}");
    }
    var seconds = parsed.GetValue(timeout);
    if (seconds <= 0)
        return Fail("--timeout must be a positive number of seconds");
    if (BootTarget.Find(parsed.GetValue(iso), out var missing) is not (var repo, var isoPath))
        return Fail(missing);
    var directory = parsed.GetValue(output)?.FullName ?? Path.Combine(repo.Root, "artifacts", "bench");
    Directory.CreateDirectory(directory);

    var limit = TimeSpan.FromSeconds(seconds);
    var uniprocessorIso = (repo with { Variant = RepoLayout.UniprocessorVariant }).KernelIso;
    if (configurations.Any(c => c.UniprocessorBuild) && !File.Exists(uniprocessorIso))
        return Fail($"{uniprocessorIso} does not exist: {RepoLayout.BuildHint}");
    var runs = BenchBoots.RunAll(configurations, c => c.UniprocessorBuild ? uniprocessorIso : isoPath, parsed.GetValue(uefi), limit, directory);
    var metadata = HostInfo.Collect(repo, parsed.GetValue(uefi), limit);
    var table = ResultTable.Build(runs);
    if (Console.IsOutputRedirected)
        AnsiConsole.Profile.Width = 160;   // Spectre assumes 80 columns without a terminal and would wrap the names
    if (table.Columns.Count > 0)
        AnsiConsole.Write(ConsoleTable(table));

    var problems = runs.Where(run => !run.Succeeded).Select(run => $"{run.Configuration.Label}: {run.Error}").ToList();
    var images = new List<(string File, string Title)>();
    if (table.Columns.Count > 0)
    {
        try
        {
            var lineCharts = Charts.LineCharts(runs, metadata.HostCores);
            var barChart = Charts.AtomicCost(runs);
            var written = Plots.Render(lineCharts, barChart, directory).Select(Path.GetFileName).ToHashSet();
            images.AddRange(lineCharts.Select(c => (c.File, c.Title)).Append((barChart.File, barChart.Title)).Where(image => written.Contains(image.File)));
        }
        catch (FileNotFoundException missingFont)
        {
            problems.Add($"plots: {missingFont.Message}");
        }
    }
    File.WriteAllText(Path.Combine(directory, "results.json"), Report.ResultsJson(metadata, runs));
    File.WriteAllText(Path.Combine(directory, "report.md"), Report.Markdown(metadata, runs, table, images));

    AnsiConsole.MarkupLine($"[dim]{Markup.Escape(Report.Caveat)}[/]");
    AnsiConsole.MarkupLine($"wrote {Markup.Escape(Path.Combine(directory, "report.md"))}, results.json and {images.Count} plots");
    if (problems.Count == 0)
        return 0;
    AnsiConsole.MarkupLine($"[red]{problems.Count} problem(s):[/]");
    foreach (var problem in problems)
        AnsiConsole.MarkupLine($"  [red]{Markup.Escape(problem)}[/]");
    return 1;
});
return root.Parse(args).Invoke();

static Table ConsoleTable(ResultTable results)
{
    var table = new Table().Title("BENCH results (TCG: not hardware numbers)").AddColumn("measurement").AddColumn("unit");
    foreach (var column in results.Columns)
        table.AddColumn(new TableColumn(Markup.Escape(column)).RightAligned());
    foreach (var row in results.Rows)
        table.AddRow([Markup.Escape(row.Name), Markup.Escape(row.Unit), .. row.Values.Select((_, column) => row.Cell(column))]);
    return table;
}

static int Fail(string message)
{
    Console.Error.WriteLine($"BenchReport: {message}");
    return 2;
}

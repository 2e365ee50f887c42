using System.Globalization;
using ScottPlot;

namespace BenchReport;

/// <summary>Renders <see cref="Charts"/> to PNG with ScottPlot (SkiaSharp, no fontconfig: the font comes from a file).</summary>
public static class Plots
{
    /// <summary>fonts-dejavu-core (tools/debian-packages.txt): without a font file SkiaSharp draws plots with no text at all.</summary>
    public const string FontFile = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

    const string FontName = "DejaVu Sans";
    const int Width = 900, Height = 560;

    static readonly IPalette Palette = new ScottPlot.Palettes.Category10();

    /// <summary>Writes each chart into <paramref name="directory"/>; returns the files written.</summary>
    public static IReadOnlyList<string> Render(IReadOnlyList<LineChart> lines, BarChart bars, string directory)
    {
        if (!File.Exists(FontFile))
            throw new FileNotFoundException($"{FontFile} is missing: install it with sudo apt-get install -y fonts-dejavu-core");
        Fonts.AddFontFile(FontName, FontFile);

        var written = new List<string>();
        foreach (var chart in lines)
            written.Add(Save(Line(chart), directory, chart.File));
        if (bars.Panels.Any(panel => panel.Groups.Count > 0))
            written.Add(SaveSideBySide(bars.Panels.Select(panel => Bar(panel, bars.YLabel)).ToList(), directory, bars.File));
        return written;
    }

    static Plot Line(LineChart chart)
    {
        var plot = NewPlot(chart.Title, chart.XLabel, chart.YLabel);
        foreach (var series in chart.Series)
        {
            var points = chart.LogY ? series.Points.Where(p => p.Y > 0).ToList() : series.Points.ToList();
            if (points.Count == 0) continue;
            var scatter = plot.Add.Scatter(points.Select(p => p.X).ToArray(), points.Select(p => chart.LogY ? Math.Log10(p.Y) : p.Y).ToArray());
            scatter.LegendText = series.Label;
            scatter.Color = Palette.GetColor(series.Group);
            scatter.LineWidth = 2;
            scatter.MarkerSize = 8;
            scatter.MarkerShape = series.Dashed ? MarkerShape.OpenSquare : MarkerShape.FilledCircle;
            scatter.LinePattern = series.Dashed ? LinePattern.Dashed : LinePattern.Solid;
        }

        var cpuCounts = chart.Series.SelectMany(s => s.Points).Select(p => p.X).Distinct().Order().ToArray();
        if (chart.HostCores is { } cores && cpuCounts.Length > 0 && cores >= cpuCounts[0] && cores < cpuCounts[^1])
        {
            var marker = plot.Add.VerticalLine(cores, 1.5f, Colors.Gray, LinePattern.Dotted);
            marker.LegendText = $"host cores ({cores}): more vCPUs share them";
        }
        plot.Axes.Bottom.SetTicks(cpuCounts, cpuCounts.Select(x => x.ToString(CultureInfo.InvariantCulture)).ToArray());
        if (chart.LogY)
        {
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                IntegerTicksOnly = true,
                LabelFormatter = exponent => Math.Pow(10, exponent).ToString("#,0", CultureInfo.InvariantCulture),
            };
        }
        if (chart.LogY)
            plot.Axes.Margins(0.08, 0.12);
        else if (cpuCounts.Length > 0)   // a linear cycle count starts at zero, or small differences look large
        {
            var padding = Math.Max(0.5, (cpuCounts[^1] - cpuCounts[0]) * 0.08);
            plot.Axes.SetLimits(cpuCounts[0] - padding, cpuCounts[^1] + padding, 0, chart.Series.SelectMany(s => s.Points).Max(p => p.Y) * 1.12);
        }
        plot.ShowLegend(Edge.Bottom);
        return plot;
    }

    static Plot Bar(BarPanel chart, string yLabel)
    {
        var plot = NewPlot(chart.Title, "boot (mode of the kernel's code)", yLabel);
        var perGroup = chart.SeriesNames.Count + 1;   // one gap between clusters
        var bars = new List<ScottPlot.Bar>();
        var ticks = new List<Tick>();
        for (var g = 0; g < chart.Groups.Count; g++)
        {
            var group = chart.Groups[g];
            for (var s = 0; s < chart.SeriesNames.Count; s++)
            {
                if (group.Values[s] is not { } value) continue;
                bars.Add(new ScottPlot.Bar
                {
                    Position = g * perGroup + s,
                    Value = value,
                    FillColor = Palette.GetColor(s),
                    Label = value.ToString("#,0", CultureInfo.InvariantCulture),
                });
            }
            ticks.Add(new Tick(g * perGroup + (chart.SeriesNames.Count - 1) / 2.0, group.Label));
        }
        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = 12;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Margins(bottom: 0, top: 0.15);
        plot.Legend.ManualItems.AddRange(chart.SeriesNames.Select((name, s) => new LegendItem { LabelText = name, FillColor = Palette.GetColor(s) }));
        plot.ShowLegend(Edge.Bottom);
        return plot;
    }

    static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Font.Set(FontName);
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        return plot;
    }

    static string Save(Plot plot, string directory, string file)
    {
        var path = Path.Combine(directory, file);
        plot.SavePng(path, Width, Height);
        return path;
    }

    static string SaveSideBySide(IReadOnlyList<Plot> plots, string directory, string file)
    {
        var multiplot = new Multiplot();
        multiplot.RemovePlot(multiplot.GetPlot(0));   // it starts with an empty plot
        foreach (var plot in plots)
            multiplot.AddPlot(plot);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        var path = Path.Combine(directory, file);
        multiplot.SavePng(path, Width * plots.Count * 3 / 4, Height);
        return path;
    }
}

using System.Runtime.CompilerServices;
using NUnit.Framework;

namespace Kernel.Tests.Architecture;

/// <summary>
/// The layering the build keeps (<see cref="Layers"/>): every namespace matches its folder, and no type of a lower
/// layer refers to a type of a higher one. The upward references that remain (listed by the test's output, folder to
/// folder) are a ceiling that may only come down, to 0.
/// </summary>
public class LayeringTests
{
    const int UpwardReferenceCeiling = 42;

    static string Repo([CallerFilePath] string thisFile = "") => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", ".."));

    static readonly Lazy<KernelTypes> Kernel = new(() =>
    {
        var bin = Path.Combine(Repo(), "Kernel", "bin", "Debug", "net10.0");
        return KernelTypes.Read(Path.Combine(bin, "Kernel.dll"), Path.Combine(bin, "Kernel.pdb"), Repo());
    });

    [Test]
    public void Every_type_has_a_source_file_in_a_layer()
    {
        var unplaced = Kernel.Value.Types.Values.Where(t => t.SourceFile is null || Layers.Of(t.SourceFile) is null)
            .Select(t => $"{t.FullName} ({t.SourceFile ?? "no source"})").ToList();
        Assert.That(unplaced, Is.Empty);
    }

    [Test]
    public void Lower_layers_do_not_refer_to_higher_ones()
    {
        var upward = Kernel.Value.References
            .Where(r => r.From.SourceFile is not null && r.To.SourceFile is not null)
            .Select(r => (r.From, r.To, FromLayer: Layers.Of(r.From.SourceFile!), ToLayer: Layers.Of(r.To.SourceFile!)))
            .Where(r => r.FromLayer is not null && r.ToLayer is not null && r.FromLayer.Value.Layer < r.ToLayer.Value.Layer)
            .ToList();
        foreach (var group in upward.GroupBy(r => $"{Layers.FolderOf(r.From.SourceFile!)} → {Layers.FolderOf(r.To.SourceFile!)}").OrderByDescending(g => g.Count()))
            TestContext.Progress.WriteLine($"{group.Count(),4}  {group.Key}: {string.Join(", ", group.Take(4).Select(r => $"{Short(r.From)}→{Short(r.To)}"))}{(group.Count() > 4 ? ", …" : "")}");
        TestContext.Progress.WriteLine($"{upward.Count} upward type references");
        Assert.That(upward, Is.Empty);
    }

    [Test]
    public void Cycles_stay_inside_one_layer()
    {
        var edges = Kernel.Value.References
            .Select(r => (From: Layers.UnitOf(r.From.SourceFile ?? ""), To: Layers.UnitOf(r.To.SourceFile ?? "")))
            .Where(e => e.From is not null && e.To is not null && e.From != e.To)
            .Select(e => (From: e.From!, To: e.To!))
            .Distinct()
            .ToList();
        var cycles = FolderGraph.Cycles(edges);
        foreach (var cycle in cycles) TestContext.Progress.WriteLine($"cycle: {string.Join(" ⇄ ", cycle)}");
        TestContext.Progress.WriteLine($"{cycles.Count} cycles, {cycles.Sum(c => c.Count)} of the layer table's folders and files in them");
        var acrossLayers = cycles.Where(c => c.Select(unit => Layers.Of(unit)?.Layer).Distinct().Count() > 1).ToList();
        Assert.That(acrossLayers, Is.Empty);
    }

    [Test]
    public void Namespaces_match_folders()
    {
        var mismatches = Kernel.Value.Types.Values
            .Where(t => t.SourceFile is not null && Layers.ExpectedNamespace(t.SourceFile) is { } expected && expected != t.Namespace)
            .Select(t => $"{t.FullName} in {t.SourceFile}: namespace {Layers.ExpectedNamespace(t.SourceFile!)} expected")
            .ToList();
        foreach (var mismatch in mismatches) TestContext.Progress.WriteLine(mismatch);
        Assert.That(mismatches, Is.Empty);
    }

    static string Short(KernelType type) => type.FullName[(type.FullName.LastIndexOf('.') + 1)..];
}

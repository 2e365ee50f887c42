using System.Text.Json;
using System.Text.RegularExpressions;

namespace BenchReport;

/// <summary>One measurement of the kernel's BENCH line: a value in the kernel's unit (TSC cycles, ops/ms, µs, 0.01 %).</summary>
public sealed record Measurement(string Name, ulong Value, string Unit);

/// <summary>One CPU's big-kernel-lock statistics at the end of the benchmarks.</summary>
public sealed record LockStatistics(int Cpu, ulong Acquisitions, ulong Contended, ulong WaitCycles, ulong LongestWait);

/// <summary>What one benchmark boot reported: its `BENCH {json}` line, decoded.</summary>
public sealed partial record BenchOutput(int Cpus, ulong TscHz, IReadOnlyList<Measurement> Results, IReadOnlyList<LockStatistics> Bkl)
{
    public Measurement? Find(string name) => Results.FirstOrDefault(m => m.Name == name);

    /// <summary>The JSON of the last `BENCH {...}` line in <paramref name="serial"/>, or null if there is none.</summary>
    public static string? FindJson(string serial)
    {
        var matches = BenchLine().Matches(serial);
        return matches.Count == 0 ? null : matches[^1].Groups["json"].Value;
    }

    /// <summary>Decodes the BENCH line in <paramref name="serial"/>; throws <see cref="FormatException"/> naming what is missing or malformed.</summary>
    public static BenchOutput Parse(string serial)
    {
        var json = FindJson(serial) ?? throw new FormatException("no `BENCH {json}` line in the serial output");
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var results = root.GetProperty("results").EnumerateArray()
                .Select(r => new Measurement(r.GetProperty("name").GetString()!, r.GetProperty("value").GetUInt64(), r.GetProperty("unit").GetString()!))
                .ToList();
            var bkl = root.TryGetProperty("bkl", out var stats)
                ? stats.EnumerateArray().Select(s => new LockStatistics(s.GetProperty("cpu").GetInt32(), s.GetProperty("acquisitions").GetUInt64(),
                    s.GetProperty("contended").GetUInt64(), s.GetProperty("wait_cycles").GetUInt64(), s.GetProperty("longest_wait").GetUInt64())).ToList()
                : [];
            return new BenchOutput(root.GetProperty("cpus").GetInt32(), root.GetProperty("tsc_hz").GetUInt64(), results, bkl);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new FormatException($"malformed BENCH line ({e.Message}): {Shorten(json)}", e);
        }
    }

    static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";

    [GeneratedRegex(@"BENCH (?<json>\{.*\})\r?$", RegexOptions.Multiline)]
    private static partial Regex BenchLine();
}

using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Kernel.Tests.Models;

/// <summary>What one SPIN verification run found: pan's error count, its first error line, and its statistics.</summary>
public sealed record SpinResult(int Errors, string FirstError, long StatesStored, double Seconds, double MemoryMegabytes, string Output)
{
    /// <summary>The search reached the end without running out of depth: a zero error count then means "holds".</summary>
    public bool Complete => !Output.Contains("max search depth too small", StringComparison.Ordinal);

    public string Summary => $"{StatesStored:N0} states, {Seconds:0.##} s, {MemoryMegabytes:0.#} MB" + (Errors > 0 ? $": {FirstError}" : "");
}

/// <summary>
/// Runs SPIN on a model the way its documentation prescribes: `spin -a` writes the verifier's C source, gcc compiles
/// it, and pan searches the state space. A safety run (assertions, invalid end states) compiles without the LTL
/// claims (-DNOCLAIM -DSAFETY); a liveness run checks one named claim for acceptance cycles under weak fairness
/// (`pan -a -f -N name`).
/// </summary>
public static partial class Spin
{
    const int MaxDepth = 500_000;

    // Each step runs under an address-space limit (util-linux prlimit): a model whose state space explodes, or a
    // Promela macro that expands without end in `spin -a`, fails its test instead of taking the host's memory.
    const long MemoryLimitBytes = 4L << 30;
    static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(3);

    /// <summary>
    /// Verifies <paramref name="modelPath"/> with the preprocessor symbols in <paramref name="seed"/> defined (a seeded
    /// mistake, space-separated symbols, or null for the model as written): safety when <paramref name="ltlClaim"/> is null, that claim otherwise.
    /// </summary>
    public static SpinResult Verify(string modelPath, string? seed, string? ltlClaim)
    {
        var work = Directory.CreateTempSubdirectory("spin-");
        try
        {
            var model = Path.Combine(work.FullName, Path.GetFileName(modelPath));
            File.Copy(modelPath, model);
            string[] defines = seed is null ? [] : seed.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(symbol => $"-D{symbol}").ToArray();
            Run(work.FullName, "spin", ["-a", .. defines, model]);
            string[] compile = ltlClaim is null
                ? ["-O2", "-w", "-DNOCLAIM", "-DSAFETY", "-o", "pan", "pan.c"]
                : ["-O2", "-w", "-DNFAIR=4", "-o", "pan", "pan.c"];
            Run(work.FullName, "gcc", compile);
            string[] search = ltlClaim is null
                ? [$"-m{MaxDepth}"]
                : ["-a", "-f", "-N", ltlClaim, $"-m{MaxDepth}"];
            var output = Run(work.FullName, Path.Combine(work.FullName, "pan"), search, allowFailure: true);
            return Parse(output);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    static SpinResult Parse(string output)
    {
        var errors = ErrorsLine().Match(output);
        if (!errors.Success)
            throw new InvalidOperationException($"pan printed no error count:\n{output}");
        var firstError = output.Split('\n').FirstOrDefault(line => line.StartsWith("pan:1:", StringComparison.Ordinal))?.Trim() ?? "";
        return new SpinResult(
            int.Parse(errors.Groups[1].Value, CultureInfo.InvariantCulture),
            firstError,
            StatesStored().Match(output) is { Success: true } states ? (long)double.Parse(states.Groups[1].Value, CultureInfo.InvariantCulture) : 0,
            Elapsed().Match(output) is { Success: true } elapsed ? double.Parse(elapsed.Groups[1].Value, CultureInfo.InvariantCulture) : 0,
            Memory().Match(output) is { Success: true } memory ? double.Parse(memory.Groups[1].Value, CultureInfo.InvariantCulture) : 0,
            output);
    }

    static string Run(string directory, string program, IReadOnlyList<string> arguments, bool allowFailure = false)
    {
        var start = new ProcessStartInfo("prlimit") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])[$"--as={MemoryLimitBytes}", "--", program, .. arguments]) start.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException($"prlimit (util-linux) is not installed, so {program} cannot be run");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(StepTimeout))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{program} ran longer than {StepTimeout}");
            }
            var output = stdout.Result + stderr.Result;
            if (process.ExitCode != 0 && !allowFailure)
                throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}; ./build.sh build installs spin and gcc):\n{output}");
            return output;
        }
    }

    [GeneratedRegex(@"errors: (\d+)")] private static partial Regex ErrorsLine();
    [GeneratedRegex(@"([\d.e+]+) states, stored")] private static partial Regex StatesStored();
    [GeneratedRegex(@"pan: elapsed time ([\d.e+]+) seconds")] private static partial Regex Elapsed();
    [GeneratedRegex(@"([\d.]+)\s+total actual memory usage")] private static partial Regex Memory();
}

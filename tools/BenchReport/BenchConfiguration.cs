using System.Globalization;

namespace BenchReport;

/// <summary>How the kernel's code stands during a boot: what an atomic operation costs depends on it.</summary>
public enum PatchMode
{
    /// <summary>One CPU: the kernel dropped its lock prefixes (alternatives).</summary>
    UpPatched,

    /// <summary>Several CPUs: lock prefixes as built.</summary>
    Smp,

    /// <summary>`noalternatives`: the code exactly as built (locked) whatever the CPU count.</summary>
    Unpatched,

    /// <summary>The MaxCpus=1 build: no AP code, and locks that only mark themselves held (MINIX's way).</summary>
    UniprocessorBuild,
}

/// <summary>
/// One benchmark boot: `-smp Cpus`, kernel options `bench` (and `noalternatives` for the unpatched baseline); the
/// default kernel, or the MaxCpus=1 build (<see cref="UniprocessorBuild"/>, artifacts/boot-maxcpus1/) on one CPU.
/// </summary>
public sealed record BenchConfiguration(int Cpus, bool NoAlternatives = false, bool UniprocessorBuild = false)
{
    public const int MaxCpus = 64;

    /// <summary>The list item that boots the MaxCpus=1 build.</summary>
    public const string UniprocessorBuildItem = "maxcpus1";

    /// <summary>Every configuration the report compares: the CPU counts, the unpatched one-CPU baseline, the MaxCpus=1 build.</summary>
    public const string DefaultList = "1,2,4,8,noalt,maxcpus1";

    /// <summary>File-name and JSON key: smp4, smp1-noalt, maxcpus1.</summary>
    public string Name => UniprocessorBuild ? UniprocessorBuildItem : NoAlternatives ? $"smp{Cpus}-noalt" : $"smp{Cpus}";

    /// <summary>Table column heading.</summary>
    public string Label => UniprocessorBuild ? "MaxCpus=1" : NoAlternatives ? $"smp {Cpus} noalt" : $"smp {Cpus}";

    /// <summary>
    /// QEMU's -smp value. A one-CPU machine gets an empty hot-plug slot: TCG emits host atomics for locked instructions
    /// only when the machine can have a second vCPU, so a plain `-smp 1` makes every atomic cheap, patched or not.
    /// </summary>
    public string QemuSmp => Cpus == 1 ? "1,maxcpus=2" : Cpus.ToString(CultureInfo.InvariantCulture);

    public string KernelCmdline => NoAlternatives ? "bench noalternatives" : "bench";

    public PatchMode Mode => UniprocessorBuild ? PatchMode.UniprocessorBuild
                           : NoAlternatives ? PatchMode.Unpatched : Cpus == 1 ? PatchMode.UpPatched : PatchMode.Smp;

    public static string Describe(PatchMode mode) => mode switch
    {
        PatchMode.UpPatched => "UP-patched",
        PatchMode.Smp => "SMP",
        PatchMode.UniprocessorBuild => "UP build",
        _ => "unpatched",
    };

    /// <summary>
    /// A comma-separated list of CPU counts; `noalt` is one CPU with `noalternatives`, `N-noalt` N CPUs with it,
    /// `maxcpus1` the MaxCpus=1 build on one CPU. Throws <see cref="FormatException"/> naming the bad item.
    /// </summary>
    public static IReadOnlyList<BenchConfiguration> ParseList(string list)
    {
        var configurations = new List<BenchConfiguration>();
        foreach (var item in list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (item == UniprocessorBuildItem)
            {
                Add(new BenchConfiguration(1, UniprocessorBuild: true), item);
                continue;
            }
            var noAlternatives = item == "noalt" || item.EndsWith("-noalt", StringComparison.Ordinal);
            var count = item == "noalt" ? "1" : noAlternatives ? item[..^"-noalt".Length] : item;
            if (!int.TryParse(count, out var cpus) || cpus < 1 || cpus > MaxCpus)
                throw new FormatException($"'{item}' is not a configuration: use a CPU count 1..{MaxCpus}, 'noalt', 'N-noalt' or '{UniprocessorBuildItem}'");
            Add(new BenchConfiguration(cpus, noAlternatives), item);
        }
        if (configurations.Count == 0)
            throw new FormatException("no configuration given");
        return configurations;

        void Add(BenchConfiguration configuration, string item)
        {
            if (configurations.Contains(configuration))
                throw new FormatException($"'{item}' is listed twice");
            configurations.Add(configuration);
        }
    }
}

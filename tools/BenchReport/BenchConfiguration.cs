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
/// default kernel, or the MaxCpus=1 build (<see cref="UniprocessorBuild"/>, artifacts/boot-maxcpus1/) on one CPU;
/// QEMU's qemu64 CPU, whose local APIC the kernel runs in xAPIC mode, or with <see cref="X2Apic"/> qemu64,+x2apic,
/// which it runs in x2APIC mode. Boots of more than <see cref="FullSuiteCpus"/> CPUs measure the bring-up only. Lock waits
/// are the kernel's choice (under QEMU, whose CPUID names a hypervisor: spin, then halt until kicked), or with
/// <see cref="SpinningWaits"/> `pvlocks=off`, the spinning the kernel keeps for bare metal: the two side by side.
/// </summary>
public sealed record BenchConfiguration(int Cpus, bool NoAlternatives = false, bool UniprocessorBuild = false, bool X2Apic = false, bool SpinningWaits = false)
{
    public const int MaxCpus = 288;

    /// <summary>Up to this many CPUs a boot runs every group; the lock and process sweeps grow with the square of the count.</summary>
    public const int FullSuiteCpus = 16;

    /// <summary>The most CPUs xAPIC mode can address: APIC IDs 0-254, 255 is the broadcast (SDM Vol. 3A §11.6.2.1).</summary>
    public const int XApicCpus = 255;

    /// <summary>The list item that boots the MaxCpus=1 build.</summary>
    public const string UniprocessorBuildItem = "maxcpus1";

    /// <summary>
    /// Every configuration the report compares: the CPU counts, each with halting and with spinning lock waits, the
    /// unpatched one-CPU baseline, the MaxCpus=1 build.
    /// </summary>
    public const string DefaultList = "1,2,2-pvoff,4,4-pvoff,8,8-pvoff,noalt,maxcpus1";

    /// <summary>File-name and JSON key: smp4, smp8-x2apic, smp8-pvoff, smp1-noalt, maxcpus1.</summary>
    public string Name => UniprocessorBuild ? UniprocessorBuildItem : $"smp{Cpus}{(X2Apic ? "-x2apic" : "")}{(NoAlternatives ? "-noalt" : "")}{(SpinningWaits ? "-pvoff" : "")}";

    /// <summary>Table column heading.</summary>
    public string Label => UniprocessorBuild ? "MaxCpus=1" : $"smp {Cpus}{(X2Apic ? " x2apic" : "")}{(NoAlternatives ? " noalt" : "")}{(SpinningWaits ? " pvlocks=off" : "")}";

    /// <summary>
    /// QEMU's -smp value. A one-CPU machine gets an empty hot-plug slot: TCG emits host atomics for locked instructions
    /// only when the machine can have a second vCPU, so a plain `-smp 1` makes every atomic cheap, patched or not.
    /// </summary>
    public string QemuSmp => Cpus == 1 ? "1,maxcpus=2" : Cpus.ToString(CultureInfo.InvariantCulture);

    public string QemuCpu => X2Apic ? "qemu64,+x2apic" : "qemu64";

    /// <summary>Guest memory: 256 MiB, 1 GiB above 64 CPUs (each CPU's stacks, GDT and tables).</summary>
    public string Memory => Cpus > 64 ? "1G" : "256M";

    public string KernelCmdline => (Cpus > FullSuiteCpus ? "bench=smp" : "bench") + (NoAlternatives ? " noalternatives" : "") + (SpinningWaits ? " pvlocks=off" : "");

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
    /// A comma-separated list: `N` CPUs, then optionally `-x2apic`, then `-noalt` or `-pvoff` (`noalt` alone is
    /// `1-noalt`); `maxcpus1` the MaxCpus=1 build on one CPU. Throws <see cref="FormatException"/> naming the bad item.
    /// </summary>
    public static IReadOnlyList<BenchConfiguration> ParseList(string list)
    {
        var configurations = new List<BenchConfiguration>();
        foreach (var item in list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var configuration = item == UniprocessorBuildItem ? new BenchConfiguration(1, UniprocessorBuild: true) : Parse(item == "noalt" ? "1-noalt" : item);
            if (configurations.Contains(configuration))
                throw new FormatException($"'{item}' is listed twice");
            configurations.Add(configuration);
        }
        if (configurations.Count == 0)
            throw new FormatException("no configuration given");
        return configurations;

        static BenchConfiguration Parse(string item)
        {
            var rest = item;
            var spinningWaits = Strip(ref rest, "-pvoff");
            var noAlternatives = !spinningWaits && Strip(ref rest, "-noalt");
            var x2Apic = Strip(ref rest, "-x2apic");
            if (!int.TryParse(rest, NumberStyles.None, CultureInfo.InvariantCulture, out var cpus) || cpus < 1 || cpus > MaxCpus)
                throw new FormatException($"'{item}' is not a configuration: use a CPU count 1..{MaxCpus}, then optionally -x2apic, then -noalt or -pvoff; 'noalt' or '{UniprocessorBuildItem}'");
            if (cpus > XApicCpus && !x2Apic)
                throw new FormatException($"'{item}': xAPIC mode addresses at most {XApicCpus} CPUs: use {cpus}-x2apic");
            if (spinningWaits && cpus == 1)
                throw new FormatException($"'{item}': one CPU never waits for another, so -pvoff changes nothing");
            return new BenchConfiguration(cpus, noAlternatives, X2Apic: x2Apic, SpinningWaits: spinningWaits);
        }

        static bool Strip(ref string text, string suffix)
        {
            if (!text.EndsWith(suffix, StringComparison.Ordinal)) return false;
            text = text[..^suffix.Length];
            return true;
        }
    }
}

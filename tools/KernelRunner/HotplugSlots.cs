using System.Text.RegularExpressions;

namespace KernelRunner;

/// <summary>
/// `run --hotplug`: a machine with free CPU slots, and how to fill and empty them from QEMU's monitor or over QMP.
/// QEMU (7.2 and 10.0, machine types from 6.2 on) lays `-smp N,maxcpus=M` out as one socket of M cores, so slot k is core-id k.
/// </summary>
public static partial class HotplugSlots
{
    public const int MaxCpus = 8;
    const string CpuDriver = "qemu64-x86_64-cpu";   // -cpu qemu64's hot-pluggable device type

    /// <summary>"N" becomes "N,maxcpus=8"; a value that already names its topology or maximum is the user's choice.</summary>
    public static string WithFreeSlots(string smp) =>
        PlainCount().IsMatch(smp) ? $"{smp},maxcpus={Math.Max(MaxCpus, int.Parse(smp) + 1)}" : smp;

    public static string QmpSocketPath() => Path.Combine(Path.GetTempPath(), $"kernel-qmp-{Environment.ProcessId}.sock");

    public static IEnumerable<string> Instructions(QemuOptions options)
    {
        int present = int.TryParse(options.Smp.Split(',')[0], out var count) ? count : 1;
        var maximum = Regex.Match(options.Smp, @"maxcpus=(\d+)");
        int next = present;
        yield return maximum.Success
            ? $"CPU hot-plug: {maximum.Groups[1].Value} CPU slots, {present} filled. In QEMU's monitor (Ctrl-A C; Ctrl-A C again returns):"
            : "CPU hot-plug: no maxcpus in --smp, so no free slots; give e.g. --smp 2,maxcpus=8. In QEMU's monitor (Ctrl-A C):";
        yield return "  info hotpluggable-cpus                      the slots, and the ids a CPU in each needs";
        yield return $"  device_add {CpuDriver},id=cpu{next},socket-id=0,core-id={next},thread-id=0";
        yield return "                                              plug a CPU in: the kernel starts it ('cpus' in the shell shows it)";
        yield return $"  device_del cpu{next}                             unplug it: the kernel takes it down, then QEMU ejects it";
        if (options.QmpSocketPath is { } socket)
        {
            yield return $"From a script, QMP on {socket}: send {{\"execute\":\"qmp_capabilities\"}}, then";
            yield return $"  {{\"execute\":\"device_add\",\"arguments\":{{\"driver\":\"{CpuDriver}\",\"id\":\"cpu{next}\",\"socket-id\":0,\"core-id\":{next},\"thread-id\":0}}}}";
        }
        yield return "Under TCG a QEMU plugs at most maxcpus CPUs in its life, the ones it booted with and every re-plug included:";
        yield return "it keeps a translation context per vCPU it ever created, and the next device_add aborts (QEMU 10.0).";
    }

    [GeneratedRegex(@"^\d+$")]
    private static partial Regex PlainCount();
}

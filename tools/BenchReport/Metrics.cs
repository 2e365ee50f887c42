using System.Text.RegularExpressions;

namespace BenchReport;

/// <summary>One line per kind of measurement the kernel reports (Kernel/Bench), for the report; `{n}` is the CPU count in the name.</summary>
public static partial class Metrics
{
    /// <summary>In the order the report lists them: bring-up, costs, then scaling, IPIs, processes, stop_machine and hot-plug.</summary>
    static readonly (string Key, string Text)[] Descriptions =
    [
        ("smp.bringup", "boot: the APs started in parallel, first INIT to last AP online (guest time)"),
        ("smp.bringup_per_ap", "the same divided by the APs started"),
        ("spinlock.uncontended", "one CPU takes and releases a free ticket spinlock (UP-patched code on one CPU, locked code otherwise; in the MaxCpus=1 build it only marks itself held)"),
        ("bkl.uncontended", "one CPU enters and leaves the big kernel lock, nobody else asking for it"),
        ("atomic.fetch_add.up", "one uncontended Atomic.FetchAdd with its lock prefix patched to DS (one CPU, UP-patched)"),
        ("atomic.fetch_add.smp", "one uncontended Atomic.FetchAdd, `lock xadd`, with other CPUs online"),
        ("atomic.fetch_add.noalternatives", "one uncontended Atomic.FetchAdd as built, `lock xadd`, on a kernel that patches nothing"),
        ("plain.increment", "a plain load, add and store of the same word: the floor for an atomic"),
        ("spinlock.up", "spinlock take and release on one CPU with UP-patched code (same boot as spinlock.smp)"),
        ("spinlock.smp", "spinlock take and release on one CPU after switching the code to its SMP form"),
        ("alternatives.switch_to_up", "rewriting every site to its one-CPU form and verifying it"),
        ("alternatives.switch_to_smp", "rewriting every site back to its SMP form and verifying it"),
        ("alternatives.lock_sites", "lock prefixes the patcher rewrites"),
        ("alternatives.sequences", "UP/SMP code sequences the patcher swaps"),
        ("spinlock.contended.Ncpus", "{n} CPUs take and release one spinlock as fast as they can for 100 ms: hand-offs per ms, all CPUs together"),
        ("bkl.contended.Ncpus", "the same with the big kernel lock"),
        ("lock.halts", "lock waits that halted during the contended runs (0 where waits only spin: `pvlocks=off`, bare metal)"),
        ("lock.kicks", "kick IPIs releasers sent to halted waiters during the contended runs"),
        ("kick.latency", "from a releaser's kick to its halted waiter running again, mean: past the host's cores, a hand-off to a halted waiter costs this"),
        ("kick.latency_max", "the same, the longest"),
        ("ipi.raw_roundtrip", "CPU 0 sends CPU 1 a bare fixed IPI whose handler answers with another: one round trip"),
        ("ipi.callon_roundtrip", "CrossCpuCall.CallOn(CPU 1, empty function, wait): inbox, IPI and acknowledgement"),
        ("ipi.broadcast_call.Ncpus", "CallOnAll on every other CPU of {n}, waiting until all have run it"),
        ("ipc.roundtrip.same_cpu", "SendRec request and reply between two processes on the same CPU"),
        ("ipc.roundtrip.cross_cpu", "SendRec request and reply between processes on two different CPUs"),
        ("sched.context_switch", "two processes on one CPU yielding to each other: one switch"),
        ("ipc.notify.cross_cpu", "Notify to a process on another CPU and its Notify back"),
        ("bkl.wait_share.Ncpus", "share of time {n} CPUs running SendRec ping-pong spend waiting for the big kernel lock"),
        ("ipc.throughput.Ncpus", "SendRec round trips per ms of {n} CPUs running ping-pong pairs, all together"),
        ("gc.alloc.bump", "the kernel heap's bump allocator: one 32-byte cell, on pages of its own (what `new` cost everyone before process heaps)"),
        ("gc.alloc.object_heap", "a process heap's allocator: one 32-byte cell (the lowest free bit of a size-class page, zeroed), no collection"),
        ("gc.new.process", "`new` of a small object inside a process, a million of them, all garbage: routing, allocation and collections"),
        ("gc.new.process.collections", "the collections that million took"),
        ("gc.pause.live_1KiB", "one collection of a process's heap with 1 KiB live (64-byte list nodes with 32-byte payloads), the fastest of three"),
        ("gc.pause.live_4KiB", "the same, 4 KiB live"),
        ("gc.pause.live_16KiB", "the same, 16 KiB live"),
        ("gc.pause.live_64KiB", "the same, 64 KiB live"),
        ("gc.pause.live_256KiB", "the same, 256 KiB live"),
        ("gc.pause.live_1024KiB", "the same, 1 MiB live"),
        ("gc.pause.live_4096KiB", "the same, 4 MiB live"),
        ("gc.pause.live_16384KiB", "the same, 16 MiB live"),
        ("gc.pause.kernel_task", "one collection of the kernel task's heap between requests: image data, kernel heap and every stack read for roots, under the big kernel lock; the fastest of three"),
        ("gc.throughput_least.Ncpus", "{n} processes, one per CPU, allocating 240-byte garbage for 300 ms at once: KiB/s of the slowest (a collection stops only its own process, so adding CPUs should not lower it)"),
        ("gc.throughput_mean.Ncpus", "the same, the mean of the {n}"),
        ("gc.collections.Ncpus", "the collections those {n} processes made meanwhile, together"),
        ("stop_machine.Ncpus", "one stop_machine rendezvous of {n} online CPUs running an empty function"),
        ("cpu_down.to_Ncpus", "logical hot-unplug of the highest CPU, leaving {n} online"),
        ("cpu_up.to_Ncpus", "bringing a CPU back online, making {n}"),
    ];

    /// <summary>The name with its CPU count replaced by N (`bkl.contended.4cpus` → `bkl.contended.Ncpus`): one entry per kind.</summary>
    public static string Key(string name)
    {
        var counted = CpuCount().Match(name);
        return counted.Success ? name[..counted.Index] + "Ncpus" : name;
    }

    /// <summary>What <paramref name="name"/> (or its <see cref="Key"/>) measures, or an empty string for a measurement this tool does not know yet.</summary>
    public static string Describe(string name)
    {
        var key = Key(name);
        var text = Descriptions.FirstOrDefault(d => d.Key == key).Text ?? "";
        return text.Replace("{n}", CpusIn(name)?.ToString() ?? "N");
    }

    /// <summary>Report order: by kind as listed above (kinds this tool does not know last, by name), then by CPU count.</summary>
    public static IReadOnlyList<string> ReportOrder(IEnumerable<string> names) =>
        names.Distinct()
            .OrderBy(name => Array.FindIndex(Descriptions, d => d.Key == Key(name)) is var rank and >= 0 ? rank : Descriptions.Length)
            .ThenBy(name => Key(name), StringComparer.Ordinal)
            .ThenBy(name => CpusIn(name) ?? 0)
            .ToList();

    /// <summary>The CPU count at the end of a name such as `bkl.contended.4cpus` or `cpu_up.to_3cpus`, or null.</summary>
    public static int? CpusIn(string name)
    {
        var counted = CpuCount().Match(name);
        return counted.Success ? int.Parse(counted.Groups["n"].Value) : null;
    }

    [GeneratedRegex(@"(?<n>\d+)cpus$")]
    private static partial Regex CpuCount();
}

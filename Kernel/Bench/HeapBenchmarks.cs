using Kernel.Arch;
using Kernel.Lib;
using Kernel.Memory;
using Kernel.Proc;
using Kernel.Smp;
using Kernel.Testing;

namespace Kernel.Bench
{
    /// <summary>
    /// Process heaps and their collector (docs/heap.md), for BenchmarkRunner's "gc" group:
    /// - what a small cell costs: the kernel heap's bump allocator against an object heap, both on borrowed pages given back;
    /// - what `new` costs inside a process, collections included;
    /// - the collection pause against the live set, 1 KiB to 16 MiB;
    /// - allocation throughput per process with 1, 2, 4, 8 CPUs allocating at once: a collection stops only its own
    ///   process, so the rate per process should not fall as CPUs are added.
    /// The processes time themselves and report by message. Numbers, not assertions.
    /// </summary>
    internal static unsafe class HeapBenchmarks
    {
        private const int Result = 1;             // P0, P1, P2: the measurement's numbers
        private const int Cells = 16_384;
        private const int Repeats = 5;            // the fastest of five: a tick or the host landing in one run says nothing
        private const int SmallObjectBytes = 32;  // a small object with its header: 16 bytes of fields
        private const ulong ThroughputMicros = 300_000;
        private const ulong ReportTimeoutMicros = 60_000_000;
        private const int MaxCpus = 8;

        public static void Run()
        {
            BenchmarkRunner.Record("gc.alloc.bump", BumpCycles(), "cycles/cell");
            BenchmarkRunner.Record("gc.alloc.object_heap", ObjectHeapCycles(), "cycles/cell");
            if (Measure("bench-new", &AllocateSmall, 0, out Message result))
            {
                BenchmarkRunner.Record("gc.new.process", result.P0, "cycles/object");
                BenchmarkRunner.Record("gc.new.process.collections", result.P1, "collections");
            }
            for (ulong kib = 1; kib <= 16 * 1024; kib *= 4)
                if (Measure("bench-pause", &CollectLiveSet, kib, out result))
                    BenchmarkRunner.Record(TextBuffer.Of($"gc.pause.live_{kib}KiB"), Tsc.ToMicroseconds(result.P0), "us");
            BenchmarkRunner.Record("gc.pause.kernel_task", KernelTaskPauseMicros(), "us");
            for (int k = 1; k <= Cpus.OnlineCount && k <= MaxCpus; k *= 2) MeasureThroughput(k);
        }

        // The kernel task's collection between requests (KernelTaskHeap): the kernel's whole memory read for roots
        // under the big kernel lock, the fastest of three.
        private static ulong KernelTaskPauseMicros()
        {
            ulong fastest = ulong.MaxValue;
            for (int i = 0; i < 3; i++)
            {
                ulong start = Tsc.Read();
                KernelTaskHeap.Collect();
                ulong cycles = Tsc.Read() - start;
                if (cycles < fastest) fastest = cycles;
            }
            return Tsc.ToMicroseconds(fastest);
        }

        // The kernel heap's algorithm (Heap, a bump pointer) on pages of its own, so the measurement leaks nothing.
        private static ulong BumpCycles()
        {
            const ulong pages = Cells * SmallObjectBytes / PageFrameAllocator.PageSize;
            ulong area = PhysicalMemory.AllocateZeroedPages(pages);
            if (area == 0) return 0;
            ulong best = ulong.MaxValue;
            for (int run = 0; run < Repeats; run++)
            {
                var heap = new Heap();
                heap.Initialize((byte*)area, (byte*)area + pages * PageFrameAllocator.PageSize, null);
                ulong start = Tsc.Read();
                for (int i = 0; i < Cells; i++) heap.TryAllocate(SmallObjectBytes);
                ulong cycles = (Tsc.Read() - start) / Cells;
                if (cycles < best) best = cycles;
            }
            PhysicalMemory.FreePagesAt(area, pages);
            return best;
        }

        // An object heap of its own (owner 0xFFFF: no process slot has it), emptied and released after each run. Its
        // pages come zeroed from the page allocator, as they do for a process.
        private static ulong ObjectHeapCycles()
        {
            ulong best = ulong.MaxValue;
            for (int run = 0; run < Repeats; run++)
            {
                var heap = new ObjectHeap();
                heap.Initialize(ProcessMemory.OwnerMap, ProcessMemory.LentPages, 0xFFFF);
                ulong start = Tsc.Read();
                for (int i = 0; i < Cells; i++) heap.TryAllocate(SmallObjectBytes);
                ulong cycles = (Tsc.Read() - start) / Cells;
                heap.ReleaseAll();
                if (cycles < best) best = cycles;
            }
            return best;
        }

        // k processes, one per CPU, allocate garbage for the same wall-clock time: KiB per second each, least and mean.
        private static void MeasureThroughput(int k)
        {
            var endpoints = stackalloc int[MaxCpus];
            ulong deadline = Tsc.Read() + Tsc.Hz / 20 + ThroughputMicros * (Tsc.Hz / 1_000_000);   // all start together, 50 ms from now
            int started = 0;
            for (int cpu = 0; cpu < Cpus.Count && started < k; cpu++)
                if (Cpus.Get(cpu)->CpuState == CpuState.Online)
                    endpoints[started++] = ProcessKit.Spawn("bench-churn", &Churn, deadline, Scheduler.UserPriority, CpuSet.Of(cpu));
            ulong least = ulong.MaxValue, total = 0, collections = 0;
            for (int i = 0; i < started; i++)
            {
                var result = new Message();
                if (endpoints[i] == Endpoint.None || ProcessKit.ReceiveWithin(endpoints[i], &result, ReportTimeoutMicros) != IpcStatus.Ok)
                {
                    Log.Warn("bench", $"gc throughput on {k} CPUs: a process did not report");
                    ProcessKit.KillAll(ProcessKit.ReportTimeoutMicros);
                    return;
                }
                ulong rate = result.P0 * 1_000_000 / ThroughputMicros / 1024;
                if (rate < least) least = rate;
                total += rate;
                collections += result.P1;
            }
            ProcessKit.KillAll(ProcessKit.ReportTimeoutMicros);
            BenchmarkRunner.Record(TextBuffer.Of($"gc.throughput_least.{k}cpus"), least, "KiB/s");
            BenchmarkRunner.Record(TextBuffer.Of($"gc.throughput_mean.{k}cpus"), total / (ulong)started, "KiB/s");
            BenchmarkRunner.Record(TextBuffer.Of($"gc.collections.{k}cpus"), collections, "collections");
        }

        private static bool Measure(string name, delegate*<ulong, void> body, ulong argument, out Message result)
        {
            var report = new Message();
            int process = ProcessKit.Spawn(name, body, argument);
            bool ok = process != Endpoint.None && ProcessKit.ReceiveWithin(process, &report, ReportTimeoutMicros) == IpcStatus.Ok;
            ProcessKit.KillAll(ProcessKit.ReportTimeoutMicros);
            if (!ok) Log.Warn("bench", $"{name}: no report");
            result = report;
            return ok;
        }

        // ---- The processes ----

        [Process("bench")]
        private sealed class Small
        {
            public ulong A, B;   // 16 bytes of fields: a 32-byte object with its header and MethodTable pointer
        }

        [Process("bench")]
        private sealed class Node
        {
            public Node Next;
            public ulong Value;
            public object Payload;
        }

        // `new` of a 16-byte-field object, a million times, all garbage: cycles each, collections included.
        [Process("bench")]
        private static void AllocateSmall(ulong unused)
        {
            const int Count = 1_000_000;
            ulong before = Self.Heap().Collections;
            Small last = null;
            ulong start = Snapshots.TscNow;
            for (int i = 0; i < Count; i++) last = new Small { A = (ulong)i, B = (ulong)i };
            ulong cycles = (Snapshots.TscNow - start) / Count;
            ProcessKit.Report(Result, cycles, Self.Heap().Collections - before, last.A);
        }

        // A live set of about `kib` KiB (64-byte nodes, each with a 32-byte payload): the fastest of three collections.
        [Process("bench")]
        private static void CollectLiveSet(ulong kib)
        {
            Node head = null;
            for (ulong bytes = 0; bytes < kib * 1024; bytes += 64 + 48)
                head = new Node { Next = head, Value = bytes, Payload = new Small() };
            ulong best = ulong.MaxValue;
            for (int i = 0; i < 3; i++)
            {
                ulong start = Snapshots.TscNow;
                Self.CollectGarbage();
                ulong cycles = Snapshots.TscNow - start;
                if (cycles < best) best = cycles;
            }
            ProcessKit.Report(Result, best, Self.Heap().LiveBytes, head.Value);
        }

        // Argument: when to stop (TSC). Waits for the common start, allocates 240-byte arrays (all garbage but the
        // last 64) until the deadline: bytes allocated, collections.
        [Process("bench")]
        private static void Churn(ulong deadline)
        {
            ulong start = deadline - ThroughputMicros * (Snapshots.TscHz / 1_000_000);
            while (Snapshots.TscNow < start) Self.Pause();
            var kept = new byte[64][];
            ulong bytes = 0, before = Self.Heap().Collections;
            for (int i = 0; Snapshots.TscNow < deadline; i++)
            {
                kept[i % 64] = new byte[240 - 24];   // 24: header, MethodTable, length
                bytes += 240;
            }
            ProcessKit.Report(Result, bytes, Self.Heap().Collections - before, (ulong)kept[0].Length);
        }
    }
}

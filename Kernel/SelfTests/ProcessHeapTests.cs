using Kernel.Arch;
using Kernel.Memory;
using Kernel.Proc;
using Kernel.Smp;
using Kernel.Testing;

namespace Kernel.SelfTests
{
    /// <summary>
    /// Per-process heaps and their collector (Kernel/Memory/ProcessMemory.cs, docs/heap.md): object graphs that survive
    /// a hundred collections intact while their process moves between CPUs, a gibibyte allocated in a 256 MiB guest,
    /// every page back after thousands of processes, an out-of-memory kill that names the process, and a collection
    /// that stops no other CPU. The kernel task starts the processes and reads their reports; the processes allocate.
    /// </summary>
    [SelfTestSuite("gc")]
    public static unsafe class ProcessHeapTests
    {
        private const int Done = 1;           // P0 collections, P1 errors, P2 CPU moves
        private const int Pause = 2;          // P0 start, P1 end (TSC) of the collector's longest collection
        private const int Count = 3;          // P0 the counter's stamps inside the asked-for window
        private const ulong LongTimeoutMicros = 120_000_000;

        [SelfTestCleanup]
        public static void KillStrays() => ProcessKit.KillStrays();

        [SelfTest]
        public static void RandomGraphsSurviveAHundredCollectionsWhileTheirProcessMoves()
        {
            ulong kernelHeap = KernelHeap.BytesAllocated;
            int builder = ProcessKit.Spawn("graph-builder", &BuildGraphs, 100);
            Message done = ProcessKit.Expect(builder, "the graph builder's report", LongTimeoutMicros);
            ExpectIntactGraphs(done);
            if (Cpus.OnlineCount > 1) Assert.True(done.P2 > 0, "the process moved between CPUs meanwhile");
            Assert.Equal(kernelHeap, KernelHeap.BytesAllocated, "the process allocated nothing in the kernel heap");
            SelfTestRunner.Note(Lib.TextBuffer.Of($"{done.P0} collections, {done.P2} CPU moves, 0 checksum errors"));
        }

        // A graph builder's report: a hundred collections or more, and every structure it kept intact after each.
        private static void ExpectIntactGraphs(Message done)
        {
            Assert.Equal((ulong)Done, (ulong)done.Type, "report type");
            Assert.Equal(0ul, done.P1, "every structure kept checked out intact after every collection");
            Assert.True(done.P0 >= 100, "a hundred collections or more");
        }

        /// <summary>The same, while the kernel task takes random APs down and brings them back (hot-plug beside it).</summary>
        [SelfTest]
        public static void RandomGraphsSurviveWhileCpusGoDownAndComeBack()
        {
            if (Cpus.Count == 1) Assert.Skip("one CPU: nothing to take down");
            int builder = ProcessKit.Spawn("graph-builder", &BuildGraphs, 100);
            var random = new Xorshift(Tsc.Read());
            var done = new Message();
            ulong transitions = 0, deadline = Tsc.DeadlineAfter(LongTimeoutMicros);
            while (ProcessKit.ReceiveWithin(builder, &done, 1_000) != IpcStatus.Ok)
            {
                Assert.True(Tsc.Read() < deadline, "the graph builder reported in time");
                int cpu = 1 + (int)(random.Next() % (ulong)(Cpus.Count - 1));
                if (Cpus.Get(cpu)->CpuState != CpuState.Online || Cpus.OnlineCount == 1) continue;
                Assert.True(CpuHotplug.CpuDown(cpu) == HotplugResult.Done, "a CPU went down");
                Assert.True(CpuHotplug.CpuUp(cpu) == HotplugResult.Done, "and came back");
                transitions += 2;
            }
            ExpectIntactGraphs(done);
            Assert.True(transitions > 0, "CPUs went down and came back meanwhile");
            SelfTestRunner.Note(Lib.TextBuffer.Of($"{done.P0} collections, {done.P2} CPU moves, {transitions} hot-plug transitions, 0 checksum errors"));
        }

        /// <summary>The same beside the hot-plug torture itself: its transitions, IPC pairs and kernel-thread loads.</summary>
        [SelfTest]
        public static void RandomGraphsSurviveBesideTheHotplugTorture()
        {
            if (Cpus.Count == 1) Assert.Skip("one CPU: nothing to take down");
            int builder = ProcessKit.Spawn("graph-builder", &BuildGraphsUntilAsked, 100);
            HotplugTorture.RandomTransitionsKeepEveryInvariant();
            Assert.True(Ipc.Notify(builder) == IpcStatus.Ok, "the graph builder was told to finish");
            Message done = ProcessKit.Expect(builder, "the graph builder's report", LongTimeoutMicros);
            ExpectIntactGraphs(done);
            SelfTestRunner.Note(Lib.TextBuffer.Of($"{done.P0} collections, {done.P2} CPU moves beside the hot-plug torture, 0 checksum errors"));
        }

        [SelfTest]
        public static void AGibibyteAllocatedInTotalFitsInASmallGuest()
        {
            ulong pages = PhysicalMemory.TotalPages;
            int allocator = ProcessKit.Spawn("gibibyte", &AllocateAGibibyte, 0);
            Message done = ProcessKit.Expect(allocator, "the allocator's report", LongTimeoutMicros);
            Assert.Equal(0ul, done.P1, "the arrays it kept held their pattern");
            Assert.True(ProcessKit.WaitForState(allocator, ProcessState.Dead), "it ended");
            SelfTestRunner.Note(Lib.TextBuffer.Of($"1 GiB in 64 KiB arrays with {pages * 4 / 1024} MiB of RAM: {done.P0} collections"));
        }

        [SelfTest]
        public static void ThousandsOfProcessesGiveEveryPageBack()
        {
            ulong cycles = SelfTestRunner.PositiveOption("heap.cycles", 2_000, "count");
            for (int i = 0; i < Endpoint.Slots; i++) SpawnAndReap();   // every slot's stack drawn once (slots keep their stacks; spawns go round the table)
            ulong free = PhysicalMemory.FreePages, kernelHeap = KernelHeap.BytesAllocated;
            for (ulong i = 0; i < cycles; i++) SpawnAndReap();
            Assert.Equal(free, PhysicalMemory.FreePages, "the free page count is where it started");
            Assert.Equal(kernelHeap, KernelHeap.BytesAllocated, "and the kernel heap too");
            SelfTestRunner.Note(Lib.TextBuffer.Of($"{cycles} processes each allocating ~40 KiB: {free} pages free before and after"));
        }

        private static void SpawnAndReap()
        {
            int child = ProcessKit.Spawn("short-lived", &AllocateAndExit, 0);
            Assert.True(child != Endpoint.None, "spawned");
            Assert.True(ProcessKit.WaitForState(child, ProcessState.Dead), "it ended");
            Assert.True(Scheduler.WaitUntilOffCpu(child, ProcessKit.ReportTimeoutMicros), "and left its CPU");
        }

        [SelfTest]
        public static void AProcessThatKeepsEverythingIsKilledNamedAndTheRestRunsOn()
        {
            ulong free = PhysicalMemory.FreePages;
            int hoarder = ProcessKit.Spawn("hoarder", &Hoard, 0);
            Assert.True(ProcessKit.WaitForState(hoarder, ProcessState.Dead, LongTimeoutMicros), "the hoarder was stopped");
            Assert.True(Scheduler.WaitUntilOffCpu(hoarder, ProcessKit.ReportTimeoutMicros), "and left its CPU");
            Assert.Equal("out of memory", ProcessTable.At(Endpoint.SlotOf(hoarder)).DeathReason, "killed for running out of memory");
            Assert.True(PhysicalMemory.FreePages + 64 >= free, "its pages went back");
            int next = ProcessKit.Spawn("graph-builder", &BuildGraphs, 3);
            Message done = ProcessKit.Expect(next, "a process started afterwards works", LongTimeoutMicros);
            Assert.Equal(0ul, done.P1, "and its objects are intact");
        }

        /// <summary>
        /// A counter on one CPU keeps stamping the clock while a process on another CPU collects a heap of ~4 MiB of
        /// live objects: stamps inside the longest collection show the counter ran through it.
        /// </summary>
        [SelfTest]
        public static void ACollectionStopsNoOtherCpu()
        {
            if (Cpus.OnlineCount < 2) Assert.Skip("one CPU");
            int a = ProcessKit.HighestOnlineCpu(), b = 0;
            int counter = ProcessKit.Spawn("counter", &CountStamps, 0, Scheduler.UserPriority, CpuSet.Of(a));
            int collector = ProcessKit.Spawn("collector", &CollectBigHeap, 0, Scheduler.UserPriority, CpuSet.Of(b));
            Message pause = ProcessKit.Expect(collector, "the collector's longest pause", LongTimeoutMicros);
            Assert.Equal((ulong)Pause, (ulong)pause.Type, "report type");
            Message ask = Message.Of(Count, pause.P0, pause.P1);
            Assert.True(Ipc.SendRec(counter, &ask) == IpcStatus.Ok, "asked the counter");
            Assert.True(ask.P0 > 0, "the counter ran while the other CPU collected");
            SelfTestRunner.Note(Lib.TextBuffer.Of($"{Tsc.ToMicroseconds(pause.P1 - pause.P0)} us pause on CPU {b}; {ask.P0} counter stamps inside it on CPU {a}"));
        }

        /// <summary>
        /// A collection is not preempted, though a process of the same priority waits on its CPU and the collection
        /// outlasts its quantum: a process killed while off its CPU has its pages given back at once, which must never
        /// find its heap half swept. The collector grows its live set until a collection takes two quanta.
        /// </summary>
        [SelfTest]
        public static void ACollectionIsNotPreempted()
        {
            int cpu = ProcessKit.HighestOnlineCpu();
            int collector = ProcessKit.Spawn("collector", &CollectUntilItOutlastsAQuantum, 0, Scheduler.UserPriority, CpuSet.Of(cpu));
            ProcessKit.Spawn("rival", &ProcessKit.Spin, 0, Scheduler.UserPriority, CpuSet.Of(cpu));
            Message done = ProcessKit.Expect(collector, "the collector's report", LongTimeoutMicros);
            if (done.P2 == 0) Assert.Skip("no collection outlasted two quanta here (collections are fast on this machine)");
            Assert.Equal(0ul, done.P1, "the collector was never switched away while it collected");
            SelfTestRunner.Note(Lib.TextBuffer.Of($"{Tsc.ToMicroseconds(done.P0)} us collection of {done.P2} KiB live, not preempted, a rival waiting on CPU {cpu}"));
        }

        // ---- The processes ----

        [Process("heap-test")]
        private sealed class ListNode
        {
            public ListNode Next;
            public ulong Value;
            public string Label;
        }

        [Process("heap-test")]
        private sealed class TreeNode
        {
            public TreeNode Left, Right;
            public ulong Key;
            public int[] Payload;
        }

        [Process("heap-test")]
        private struct Pair
        {
            public object First;
            public ulong Value;
            public object Second;
        }

        private const int Kept = 48;

        // Argument: collections to reach. Keeps Kept structures (lists, trees, arrays of references, arrays of structs
        // holding references, strings) with their checksums, replaces one at a time and drops garbage between; checks
        // a kept structure before replacing it and all of them at the end; moves to another CPU every so often.
        [Process("heap-test")]
        private static void BuildGraphs(ulong collections) => BuildGraphsUntil(collections, untilAsked: false);

        // The same, going on past its collections until the kernel task notifies it.
        [Process("heap-test")]
        private static void BuildGraphsUntilAsked(ulong collections) => BuildGraphsUntil(collections, untilAsked: true);

        [Process("heap-test")]
        private static void BuildGraphsUntil(ulong collections, bool untilAsked)
        {
            var kept = new object[Kept];
            var sums = new ulong[Kept];
            var ask = new Message();
            int kernel = ProcessKit.KernelTask;
            bool asked = !untilAsked;
            var random = new Xorshift(Snapshots.TscNow);
            ulong errors = 0, moves = 0, start = Self.Heap().Collections;
            for (ulong round = 0; Self.Heap().Collections - start < collections || !asked; round++)
            {
                if (!asked && round % 64 == 0) asked = Ipc.TryReceive(kernel, &ask) == IpcStatus.Ok;
                int slot = (int)(random.Next() % Kept);
                if (kept[slot] != null && Checksum(kept[slot]) != sums[slot]) errors++;
                kept[slot] = Build(ref random, 0);
                sums[slot] = Checksum(kept[slot]);
                Build(ref random, 0);   // garbage
                if (round % 512 == 511 && MoveOn(ref random)) moves++;
            }
            for (int slot = 0; slot < Kept; slot++)
                if (kept[slot] != null && Checksum(kept[slot]) != sums[slot]) errors++;
            ProcessKit.Report(Done, Self.Heap().Collections - start, errors, moves);
        }

        [Process("heap-test")]
        private static bool MoveOn(ref Xorshift random)
        {
            int cpus = Snapshots.CpuCount;
            for (int tries = 0; tries < cpus; tries++)
            {
                int cpu = (int)(random.Next() % (ulong)cpus);
                if (cpu != Snapshots.CurrentCpu && Snapshots.Cpu(cpu).State == CpuState.Online)
                    return Self.RunOnlyOn(cpu) == IpcStatus.Ok;
            }
            return false;
        }

        [Process("heap-test")]
        private static object Build(ref Xorshift random, int depth)
        {
            ulong kind = random.Next() % 5;
            int size = 1 + (int)(random.Next() % 24);
            switch (kind)
            {
                case 0:
                    ListNode head = null;
                    for (int i = 0; i < size; i++) head = new ListNode { Next = head, Value = random.Next(), Label = i % 4 == 0 ? Text(ref random) : null };
                    return head;
                case 1:
                    return Tree(ref random, (int)(size % 7));
                case 2:
                    var array = new object[size];
                    for (int i = 0; i < size; i++) array[i] = depth < 2 && i % 3 == 0 ? Build(ref random, depth + 1) : Text(ref random);
                    return array;
                case 3:
                    var pairs = new Pair[size];
                    for (int i = 0; i < size; i++) pairs[i] = new Pair { First = Text(ref random), Value = random.Next(), Second = i % 2 == 0 ? new int[i] : null };
                    return pairs;
                default:
                    return Text(ref random);
            }
        }

        [Process("heap-test")]
        private static TreeNode Tree(ref Xorshift random, int depth)
        {
            if (depth == 0) return null;
            var node = new TreeNode { Key = random.Next(), Payload = new int[(int)(random.Next() % 12)] };
            for (int i = 0; i < node.Payload.Length; i++) node.Payload[i] = (int)random.Next();
            node.Left = Tree(ref random, depth - 1);
            node.Right = Tree(ref random, depth - 1);
            return node;
        }

        [Process("heap-test")]
        private static string Text(ref Xorshift random)
        {
            int length = 1 + (int)(random.Next() % 40);
            char* chars = stackalloc char[length];
            for (int i = 0; i < length; i++) chars[i] = (char)('a' + random.Next() % 26);
            return new string(chars, 0, length);
        }

        [Process("heap-test")]
        private static ulong Checksum(object value)
        {
            ulong sum = 14695981039346656037;
            switch (value)
            {
                case null:
                    return sum;
                case ListNode list:
                    for (; list != null; list = list.Next) sum = Mix(Mix(sum, list.Value), Checksum(list.Label));
                    return sum;
                case TreeNode tree:
                    sum = Mix(sum, tree.Key);
                    for (int i = 0; i < tree.Payload.Length; i++) sum = Mix(sum, (ulong)tree.Payload[i]);
                    return Mix(Mix(sum, Checksum(tree.Left)), Checksum(tree.Right));
                case object[] array:
                    for (int i = 0; i < array.Length; i++) sum = Mix(sum, Checksum(array[i]));
                    return sum;
                case Pair[] pairs:
                    for (int i = 0; i < pairs.Length; i++)
                        sum = Mix(Mix(Mix(sum, Checksum(pairs[i].First)), pairs[i].Value), pairs[i].Second is int[] ints ? (ulong)ints.Length + 1 : 0);
                    return sum;
                case string text:
                    for (int i = 0; i < text.Length; i++) sum = Mix(sum, text[i]);
                    return sum;
                default:
                    return 0;
            }
        }

        [Process("heap-test")]
        private static ulong Mix(ulong sum, ulong value) => (sum ^ value) * 1099511628211;

        // 16,384 arrays of 64 KiB (1 GiB), four kept at a time, each filled with a pattern and checked before it goes.
        [Process("heap-test")]
        private static void AllocateAGibibyte(ulong unused)
        {
            const int Ints = 64 * 1024 / sizeof(int);
            var kept = new int[4][];
            ulong errors = 0, start = Self.Heap().Collections;
            for (int i = 0; i < 16 * 1024; i++)
            {
                int slot = i % kept.Length;
                if (kept[slot] != null && (kept[slot][0] != i - kept.Length || kept[slot][Ints - 1] != i - kept.Length)) errors++;
                kept[slot] = new int[Ints];
                kept[slot][0] = kept[slot][Ints - 1] = i;
            }
            ProcessKit.Report(Done, Self.Heap().Collections - start, errors);
        }

        [Process("heap-test")]
        private static void AllocateAndExit(ulong unused)
        {
            var list = new object[64];
            for (int i = 0; i < list.Length; i++) list[i] = new byte[512 + i];
        }

        // Keeps every 4 KiB array it makes reachable from one list, until its heap cannot grow.
        [Process("heap-test")]
        private static void Hoard(ulong unused)
        {
            char* text = stackalloc char[2000];
            for (int i = 0; i < 2000; i++) text[i] = 'x';
            ListNode head = null;
            while (true) head = new ListNode { Next = head, Label = new string(text, 0, 2000) };
        }

        // Stamps the clock into a ring every 20 us (so the ring spans over a second); asked for a window, it answers how
        // many stamps fall inside it.
        [Process("heap-test")]
        private static void CountStamps(ulong unused)
        {
            const int Stamps = 1 << 16;
            var ring = new ulong[Stamps];
            var request = new Message();
            ulong interval = Snapshots.TscHz / 50_000, last = 0;
            for (int next = 0; ;)
            {
                ulong now = Snapshots.TscNow;
                if (now - last >= interval)
                {
                    ring[next] = last = now;
                    next = (next + 1) % Stamps;
                }
                if (Ipc.TryReceive(Endpoint.Any, &request) != IpcStatus.Ok) continue;
                ulong inside = 0;
                for (int i = 0; i < Stamps; i++) if (ring[i] >= request.P0 && ring[i] <= request.P1) inside++;
                Message reply = Message.Of(Count, inside);
                Ipc.Send(request.Source, &reply);
            }
        }

        // Doubles a live set of trees until one collection takes two quanta (or 64 MiB is live): the pause, whether it
        // was switched away meanwhile (its own switch count moved), the KiB live (0: no collection was long enough).
        [Process("heap-test")]
        private static void CollectUntilItOutlastsAQuantum(ulong unused)
        {
            ulong quantum = Snapshots.TscHz / LocalApicTimer.TicksPerSecond * Scheduler.QuantumTicks;   // constants: compiled in
            var forest = new TreeNode[512];
            var random = new Xorshift(99);
            for (int trees = 1; trees <= forest.Length; trees *= 2)
            {
                for (int i = trees / 2; i < trees; i++) forest[i] = Tree(ref random, 9);
                Snapshots.ProcessWith(Self.OwnEndpoint, out ProcessInfo before);
                ulong begin = Snapshots.TscNow;
                Self.CollectGarbage();
                ulong pause = Snapshots.TscNow - begin;
                Snapshots.ProcessWith(Self.OwnEndpoint, out ProcessInfo after);
                if (pause >= 2 * quantum)
                {
                    ProcessKit.Report(Done, pause, after.Switches - before.Switches, Self.Heap().LiveBytes / 1024);
                    return;
                }
            }
            ProcessKit.Report(Done, 0, 0, 0);
        }

        // Builds ~4 MiB of live trees, collects five times, reports the longest collection's window.
        [Process("heap-test")]
        private static void CollectBigHeap(ulong unused)
        {
            var forest = new TreeNode[64];
            var random = new Xorshift(12345);
            for (int i = 0; i < forest.Length; i++) forest[i] = Tree(ref random, 9);
            ulong longestStart = 0, longestEnd = 0;
            for (int i = 0; i < 5; i++)
            {
                ulong begin = Snapshots.TscNow;
                Self.CollectGarbage();
                ulong end = Snapshots.TscNow;
                if (end - begin > longestEnd - longestStart) { longestStart = begin; longestEnd = end; }
            }
            ProcessKit.Report(Pause, longestStart, longestEnd, Checksum(forest[0]));
        }
    }
}

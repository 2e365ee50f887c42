using System.Runtime.CompilerServices;
using Kernel.Arch;
using Kernel.Lib;
using Kernel.Smp;
using Kernel.Sync;

namespace Kernel.Memory
{
    /// <summary>
    /// A process's memory: its own object heap, collected on its own (docs/heap.md), and what `ps` shows of it. And
    /// where every `new` goes: the running process's heap when the CPU runs process code, the kernel task's heap when it
    /// runs the kernel task (KernelTaskHeap), the kernel heap otherwise (an idle or kernel thread, code holding the big
    /// kernel lock, an interrupt handler, anything with interrupts off). The scheduler names the running thread's
    /// memory in its CPU's block (KernelCpu.Heap) at every switch.
    ///
    /// A process collects when it has allocated as much again as was live after its last collection (at least
    /// MinimumBudget), and when its heap cannot grow. The collection runs in the allocating call, on the process's own
    /// stack and CPU: its roots are that stack, with the registers the caller may keep references in pushed onto it.
    /// Nothing else stops. A process whose heap cannot grow even after collecting is killed, named, with its heap size.
    /// Process heaps stop taking pages while fewer than ReservePages are free, so a greedy process cannot starve the
    /// kernel heap. A process is not preempted while it allocates or collects (Busy): the CPU's other processes wait
    /// for the collection, or idle CPUs take them.
    /// </summary>
    public unsafe struct ProcessMemory
    {
        public const ulong MinimumBudget = 256 * 1024;

        public ObjectHeap Heap;
        public ulong Collections;
        public ulong LongestPauseCycles;
        public ulong LiveBytes;             // after the last collection
        public ulong Budget;                // bytes to allocate before the next collection
        public int Busy;                    // nonzero while the process allocates or collects: the scheduler does not preempt it
        public bool CollectedBetweenRequests;   // the kernel task's: only KernelTaskHeap collects it, with the whole kernel as roots

        private static PageMap s_pageMap;
        private static bool s_ready;
        private static ulong s_reservePages;

        /// <summary>The page map over all physical memory; from here on processes get heaps. Boot, after the page allocator.</summary>
        public static void Initialize()
        {
            ulong pages = PhysicalMemory.Top / PageMap.PageSize;
            var entries = (uint*)PhysicalMemory.AllocateZeroedPagesOrPanic((PageMap.BytesFor(pages) + PageMap.PageSize - 1) / PageMap.PageSize, "the page map");
            OwnerMap->Initialize(entries, 0, pages);
            ulong totalPages = PhysicalMemory.TotalPages;
            s_reservePages = totalPages / 32 > 512 ? totalPages / 32 : 512;
            s_ready = true;
        }

        /// <summary>The page map every object heap records its pages in (a benchmark's private heap, too).</summary>
        public static PageMap* OwnerMap
        {
            get
            {
                fixed (PageMap* map = &s_pageMap) return map;   // a static without references: it never moves
            }
        }

        /// <summary>Pages process heaps leave to the kernel.</summary>
        public static ulong ReservePages => s_reservePages;

        /// <summary>A new process's empty heap, its pages recorded as <paramref name="owner"/>'s (its slot + 1).</summary>
        public void Reset(ushort owner) => Reset(owner, new PageSource { Allocate = &TakePages, Free = &GivePages }, collectedBetweenRequests: false);

        /// <summary>
        /// The kernel task's heap (KernelTaskHeap): its pages may come from the reserve, which is kept for the kernel,
        /// and it is collected only between requests.
        /// </summary>
        public void ResetForKernelTask(ushort owner) => Reset(owner, LentPages, collectedBetweenRequests: true);

        private void Reset(ushort owner, PageSource pages, bool collectedBetweenRequests)
        {
            Heap.Initialize(OwnerMap, pages, owner);
            Collections = LongestPauseCycles = LiveBytes = 0;
            Budget = MinimumBudget;
            Busy = 0;
            CollectedBetweenRequests = collectedBetweenRequests;
        }

        /// <summary>Every page back (the process is dead and runs nowhere).</summary>
        public void Release() => Heap.ReleaseAll();

        // A process heap's pages: none once taking them would eat into the reserve.
        private static ulong TakePages(ulong count) =>
            PhysicalMemory.FreePages < s_reservePages + count ? 0 : PhysicalMemory.AllocateZeroedPages(count);

        /// <summary>
        /// Pages the page allocator lends from all it has, the reserve included: the mark stack's (they go back before
        /// the collection ends, and a collection that could not have them would retrace its heap once per object it
        /// could not push), and a benchmark's private heap.
        /// </summary>
        public static PageSource LentPages => new PageSource { Allocate = &PhysicalMemory.AllocateZeroedPages, Free = &GivePages };

        private static void GivePages(ulong address, ulong count)
        {
            if (!PhysicalMemory.FreePagesAt(address, count)) Panic.Halt("an object heap gave back pages the page allocator never lent");
        }

        /// <summary>What the runtime calls for every object: zeroed, 16-byte-aligned memory from the heap that owns the caller.</summary>
        public static void* Allocate(ulong size)
        {
            if (!s_ready) return KernelHeap.Allocate(size);
            InterruptState state = InterruptState.Disable();   // the process may move between reading its CPU and its field
            KernelCpu* cpu = KernelCpu.Current;
            ProcessMemory* memory = cpu->Heap;
            if (!state.WasEnabled || cpu->Arch.HandlerNesting != 0 || BigKernelLock.HeldByCurrentCpu) memory = null;
            state.Restore();
            return memory == null ? KernelHeap.Allocate(size) : memory->AllocateHere(size);
        }

        // From here on only this process touches its heap, and it is not preempted until it is done (Busy): a process
        // killed while off its CPU has its pages given back at once, which must not find its page lists half changed
        // (model: Tests/Models/HeapRelease.pml).
        private void* AllocateHere(ulong size)
        {
            Busy++;
            if (CollectedBetweenRequests) return AllocateForKernelTask(size);
            if (Heap.BytesSinceCollection >= Budget) Collect();
            void* cell = Heap.TryAllocate(size);
            if (cell == null)
            {
                Collect();
                cell = Heap.TryAllocate(size);
            }
            Busy--;
            if (cell == null) OutOfMemory(size);
            return cell;
        }

        // The kernel task's stack alone does not hold its roots, so it never collects here. When no page is left for its
        // heap, the kernel heap reports the exhaustion (or finds room in a chunk it already has).
        private void* AllocateForKernelTask(ulong size)
        {
            void* cell = Heap.TryAllocate(size);
            Busy--;
            return cell != null ? cell : KernelHeap.Allocate(size);
        }

        /// <summary>Collects the calling process's own heap now (what allocation pressure does; a test may ask too).</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public void Collect()
        {
            Busy++;
            var registers = stackalloc ulong[6];
            CpuNative.SpillCalleeSaved(registers);   // rbx, rbp, r12-r15: a caller's references may live there
            var roots = stackalloc ulong[2];
            roots[0] = CpuNative.ReadRsp();          // everything above: this frame (the spilled registers too) and every caller's
            roots[1] = Proc.Scheduler.Current.StackTop;
            ulong start = Tsc.Read();
            fixed (ObjectHeap* heap = &Heap)
                Record(Collector.Collect(heap, LentPages, roots, 1), Tsc.Read() - start);
            Busy--;
        }

        /// <summary>What a collection of this heap found, and how long it took.</summary>
        public void Record(CollectionResult result, ulong pauseCycles)
        {
            LiveBytes = result.LiveBytes;
            Collections++;
            if (pauseCycles > LongestPauseCycles) LongestPauseCycles = pauseCycles;
            Budget = LiveBytes > MinimumBudget ? LiveBytes : MinimumBudget;
        }

        private void OutOfMemory(ulong size)
        {
            Proc.Process self = Proc.Scheduler.Current;
            Log.Error("memory", $"process '{self.Name}' (endpoint {self.Endpoint}) out of memory: {size} bytes asked, heap {Heap.Pages} pages ({Heap.Pages * 4} KiB, {LiveBytes / 1024} KiB live after collecting), {PhysicalMemory.FreePages} pages free: killed");
            Proc.Scheduler.Exit("out of memory");
        }
    }
}

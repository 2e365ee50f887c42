using Kernel.Arch;
using Kernel.Sync;

namespace Kernel.Memory
{
    /// <summary>
    /// The one kernel heap. It starts on the early heap in the image's .bss (so `new` works before
    /// the page allocator exists) and then grows from PhysicalMemory. Exhaustion is a panic that
    /// names what was asked for and what was left. All CPUs share it under one lock.
    /// </summary>
    public static unsafe class KernelHeap
    {
        private static Heap s_heap;
        private static SpinLock s_lock;

        public static void InitializeEarly(ImageLayout* image)
        {
            Lib.Memory.Zero((void*)image->EarlyHeapStart, (nuint)(image->EarlyHeapEnd - image->EarlyHeapStart));
            s_heap.Initialize((byte*)image->EarlyHeapStart, (byte*)image->EarlyHeapEnd, null);
        }

        public static void AttachPageAllocator() => s_heap.SetPageSource(&PhysicalMemory.AllocateZeroedPages);

        public static void* Allocate(ulong size)
        {
            InterruptState state = s_lock.AcquireIrqSave();
            void* memory = s_heap.TryAllocate(size);
            s_lock.ReleaseIrqRestore(state);
            if (memory == null) ReportExhausted(size);
            return memory;
        }

        public static ulong BytesAllocated => s_heap.BytesAllocated;
        public static ulong BytesReserved => s_heap.BytesReserved;
        public static ulong Allocations => s_heap.Allocations;
        public static ulong Chunks => s_heap.Chunks;
        public static ulong BytesFree => s_heap.BytesFree;

        /// <summary>
        /// Calls <paramref name="visit"/>(start, end, context) for every used part of the heap (its chunks, the early
        /// heap), as of the call: what is allocated after it is not visited.
        /// </summary>
        public static void ForEachUsedPart(delegate*<ulong, ulong, void*, void> visit, void* context)
        {
            InterruptState state = s_lock.AcquireIrqSave();
            Heap.UsedPartList parts = s_heap.UsedParts;
            s_lock.ReleaseIrqRestore(state);
            parts.ForEach(visit, context);
        }

        private static void ReportExhausted(ulong size)
        {
            var text = new Lib.TextBuffer();
            text.Append($"kernel heap exhausted: cannot allocate {size} bytes (heap holds {s_heap.BytesAllocated / 1024} KiB in {s_heap.Chunks} chunks; physical memory has {PhysicalMemory.FreePages} free pages)");
            Panic.Halt(ref text);
        }
    }
}

using Kernel.Arch;
using Kernel.Sync;
using Kernel.Lib;

namespace Kernel.Memory
{
    /// <summary>
    /// The machine's physical pages, from the multiboot2 memory map. Never handed out: the first MiB
    /// (real-mode structures, the BIOS area, and the pages AP trampolines will need), the kernel image,
    /// the multiboot information and modules, the allocator's own bitmap, and anything the map does
    /// not call available (ACPI tables and NVS included).
    /// </summary>
    public static unsafe class PhysicalMemory
    {
        public const ulong LowMemoryEnd = 0x10_0000;   // 1 MiB: kept for real-mode code (AP trampolines)

        private static PageFrameAllocator s_pages;
        private static SpinLock s_lock;
        private static ulong s_top;

        public static ulong FreePages => s_pages.FreePages;
        public static ulong TotalPages => s_pages.TotalPages;
        public static ulong Top => s_top;

        public static void Initialize(BootInfo boot, ImageLayout* image)
        {
            ulong top = 0;
            for (int i = 0; i < boot.MemoryMap.Length; i++)
                if (boot.MemoryMap[i].Type == MemoryType.Available && boot.MemoryMap[i].End > top)
                    top = boot.MemoryMap[i].End;
            if (top == 0) Panic.Halt("the memory map lists no available memory");
            s_top = top;

            ulong bitmapBytes = PageFrameAllocator.BitmapBytesFor(top);
            ulong bitmap = PlaceBitmap(boot, image, bitmapBytes);
            if (bitmap == 0) Panic.Halt("no available region can hold the physical page bitmap");
            s_pages.Initialize((ulong*)bitmap, top);

            for (int i = 0; i < boot.MemoryMap.Length; i++)
                if (boot.MemoryMap[i].Type == MemoryType.Available)
                    s_pages.MarkFree(boot.MemoryMap[i].Base, boot.MemoryMap[i].Length);

            s_pages.MarkReserved(0, LowMemoryEnd);
            s_pages.MarkReserved(image->ImageStart, image->ImageEnd - image->ImageStart);
            s_pages.MarkReserved(boot.InfoAddress, boot.InfoSize);
            for (int i = 0; i < boot.Modules.Length; i++)
                s_pages.MarkReserved(boot.Modules[i].Start, boot.Modules[i].End - boot.Modules[i].Start);
            s_pages.MarkReserved(bitmap, bitmapBytes);

            Log.Info("memory", $"{s_pages.FreePages * 4 / 1024} MiB free of {top / (1024 * 1024)} MiB, {boot.MemoryMap.Length} map entries");
        }

        public static bool IsFree(ulong address) => s_pages.IsFree(address);

        /// <summary>Zeroed pages for the heap, page tables and stacks; 0 when memory is exhausted.</summary>
        public static ulong AllocateZeroedPages(ulong count)
        {
            InterruptState state = s_lock.AcquireIrqSave();
            ulong address = s_pages.AllocateContiguous(count, 1);
            s_lock.ReleaseIrqRestore(state);
            if (address != 0) Lib.Memory.Zero((void*)address, (nuint)(count * PageFrameAllocator.PageSize));
            return address;
        }

        /// <summary>One zeroed page (a page table's); 0 when memory is exhausted.</summary>
        public static ulong AllocateZeroedPage() => AllocateZeroedPages(1);

        /// <summary>Zeroed pages the caller cannot do without: exhaustion is a panic naming the request and what was left.</summary>
        public static ulong AllocateZeroedPagesOrPanic(ulong count, string purpose)
        {
            ulong address = AllocateZeroedPages(count);
            if (address == 0) ReportExhausted(count, purpose);
            return address;
        }

        private static void ReportExhausted(ulong count, string purpose)
        {
            var text = new Lib.TextBuffer();
            text.Append($"physical page allocator exhausted: cannot allocate {count} contiguous pages for {purpose} ({s_pages.FreePages} of {s_pages.TotalPages} pages free; heap holds {Memory.KernelHeap.BytesAllocated / 1024} KiB)");
            Panic.Halt(ref text);
        }

        public static bool FreePagesAt(ulong address, ulong count)
        {
            InterruptState state = s_lock.AcquireIrqSave();
            bool freed = s_pages.Free(address, count);
            s_lock.ReleaseIrqRestore(state);
            return freed;
        }

        // The first available stretch above the image and the boot structures that fits the bitmap.
        private static ulong PlaceBitmap(BootInfo boot, ImageLayout* image, ulong bytes)
        {
            for (int i = 0; i < boot.MemoryMap.Length; i++)
            {
                MemoryRegion region = boot.MemoryMap[i];
                if (region.Type != MemoryType.Available) continue;
                ulong start = PageAlign(Max(region.Base, LowMemoryEnd));
                ulong previous;
                do
                {
                    previous = start;
                    start = AfterIfOverlapping(start, bytes, image->ImageStart, image->ImageEnd);
                    start = AfterIfOverlapping(start, bytes, boot.InfoAddress, boot.InfoAddress + boot.InfoSize);
                    for (int m = 0; m < boot.Modules.Length; m++)
                        start = AfterIfOverlapping(start, bytes, boot.Modules[m].Start, boot.Modules[m].End);
                    start = PageAlign(start);
                } while (start != previous);
                if (start + bytes <= region.End) return start;
            }
            return 0;
        }

        private static ulong AfterIfOverlapping(ulong start, ulong length, ulong busyStart, ulong busyEnd) =>
            start < busyEnd && busyStart < start + length ? busyEnd : start;

        private static ulong Max(ulong a, ulong b) => a > b ? a : b;
        private static ulong PageAlign(ulong address) => (address + PageFrameAllocator.PageSize - 1) & ~(PageFrameAllocator.PageSize - 1);
    }
}

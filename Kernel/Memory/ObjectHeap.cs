using System.Runtime.InteropServices;
using Kernel.Lib;

namespace Kernel.Memory
{
    /// <summary>Where an object heap gets its pages and where they go back: zeroed runs of physical (= virtual) pages.</summary>
    public unsafe struct PageSource
    {
        public delegate*<ulong, ulong> Allocate;    // pages → the run's address, 0 when none is left
        public delegate*<ulong, ulong, void> Free;  // run, pages
    }

    /// <summary>
    /// One process's object heap, for a non-moving mark-sweep collector (Kernel/Memory/Collector.cs; docs/heap.md).
    /// Small cells (up to 1,984 bytes) come from pages of one size class each; a bigger object gets a run of pages of
    /// its own. Every page or run starts with a 128-byte header (HeapPage) holding one bit per cell for "allocated"
    /// and one for "marked", so the heap needs no memory beyond its pages, and a cell's header is found by rounding
    /// its address down to the page. The page map says which pages are this heap's. A page whose cells all died, and
    /// a large run whose object died, go back to the page source at the sweep; the rest at ReleaseAll (the process
    /// ended). Not thread-safe: a heap is used only by its own process, which runs on one CPU at a time.
    /// Pure: compiled by the host tests too.
    /// </summary>
    public unsafe struct ObjectHeap
    {
        public const ulong PageSize = PageMap.PageSize;
        public const ulong HeaderBytes = 128;       // HeapPage, rounded up: cells stay 16-byte aligned
        public const ulong CellAlignment = 16;      // SSE spills of 16-byte structs need it (as the kernel heap's)
        public const int ClassCount = 16;
        public const ulong MaxSmallCell = 1984;     // two cells per page: (4096 - 128) / 2

        private PageMap* _map;
        private PageSource _source;
        private ushort _owner;
        private HeapPage* _smallPages;
        private HeapPage* _largeRuns;
        private fixed ulong _withRoom[ClassCount];  // HeapPage* per size class: pages with a free cell

        public ulong Pages { get; private set; }
        public ulong BytesInUse { get; private set; }              // allocated cells, including the dead not yet swept
        public ulong BytesSinceCollection { get; private set; }

        /// <summary>The cell size of each class: multiples of 16 chosen so a page wastes at most 128 bytes.</summary>
        public static ulong CellSizeOf(int sizeClass) => sizeClass switch
        {
            0 => 16, 1 => 32, 2 => 48, 3 => 64, 4 => 80, 5 => 96, 6 => 128, 7 => 160,
            8 => 192, 9 => 240, 10 => 320, 11 => 384, 12 => 496, 13 => 656, 14 => 992, _ => 1984,
        };

        public static int ClassOf(ulong size)
        {
            int sizeClass = 0;
            while (CellSizeOf(sizeClass) < size) sizeClass++;
            return sizeClass;
        }

        /// <summary>An empty heap whose pages the map records as <paramref name="owner"/>'s (1 to 65,535, unique among live heaps).</summary>
        public void Initialize(PageMap* map, PageSource source, ushort owner)
        {
            _map = map;
            _source = source;
            _owner = owner;
            _smallPages = _largeRuns = null;
            for (int i = 0; i < ClassCount; i++) _withRoom[i] = 0;
            Pages = BytesInUse = BytesSinceCollection = 0;
        }

        public ushort Owner => _owner;

        /// <summary>A zeroed, 16-byte-aligned cell of at least <paramref name="size"/> bytes, or null when the page source has no more pages.</summary>
        public void* TryAllocate(ulong size)
        {
            if (size == 0) size = CellAlignment;
            return size <= MaxSmallCell ? AllocateSmall(ClassOf(size)) : AllocateLarge(size);
        }

        private void* AllocateSmall(int sizeClass)
        {
            var page = (HeapPage*)_withRoom[sizeClass];
            if (page == null && (page = NewSmallPage(sizeClass)) == null) return null;
            int cell = page->FirstFree();
            page->SetAllocated(cell);
            if (++page->Allocated == page->CellCount)
            {
                _withRoom[sizeClass] = (ulong)page->NextWithRoom;
                page->NextWithRoom = null;
            }
            byte* address = page->Cells + (ulong)cell * page->CellSize;
            Lib.Memory.Zero(address, page->CellSize);   // a swept cell still holds its dead object
            BytesInUse += page->CellSize;
            BytesSinceCollection += page->CellSize;
            return address;
        }

        private HeapPage* NewSmallPage(int sizeClass)
        {
            var page = (HeapPage*)NewRun(1);
            if (page == null) return null;
            page->CellSize = (uint)CellSizeOf(sizeClass);
            page->CellCount = (ushort)((PageSize - HeaderBytes) / page->CellSize);
            page->SizeClass = (ushort)sizeClass;
            Link(ref _smallPages, page);
            _withRoom[sizeClass] = (ulong)page;
            return page;
        }

        private void* AllocateLarge(ulong size)
        {
            ulong cellSize = (size + CellAlignment - 1) & ~(CellAlignment - 1);
            ulong pages = (HeaderBytes + cellSize + PageSize - 1) / PageSize;
            if (pages > PageMap.MaxRunPages) return null;
            var run = (HeapPage*)NewRun(pages);
            if (run == null) return null;
            run->CellSize = (uint)cellSize;
            run->CellCount = 1;
            run->SizeClass = HeapPage.Large;
            run->SetAllocated(0);
            run->Allocated = 1;
            Link(ref _largeRuns, run);
            BytesInUse += cellSize;
            BytesSinceCollection += cellSize;
            return run->Cells;
        }

        private void* NewRun(ulong pages)
        {
            ulong address = _source.Allocate(pages);
            if (address == 0) return null;
            if (!_map->Covers(address, pages))
            {
                _source.Free(address, pages);   // the page map cannot record it (memory above what it covers)
                return null;
            }
            var run = (HeapPage*)address;
            *run = default;
            run->Pages = (uint)pages;
            _map->Claim(address, pages, _owner);
            Pages += pages;
            return run;
        }

        private void FreeRun(ref HeapPage* list, HeapPage* run)
        {
            Unlink(ref list, run);
            ulong pages = run->Pages;
            _map->Release((ulong)run, pages);
            _source.Free((ulong)run, pages);
            Pages -= pages;
        }

        /// <summary>
        /// The allocated cell holding <paramref name="address"/> (any byte of it: interior pointers count), or 0 when
        /// the address is not inside a live cell of this heap. Reads only this heap's own pages.
        /// </summary>
        public ulong FindCell(ulong address)
        {
            ulong start = _map->RunStart(address, _owner);
            if (start == 0) return 0;
            var page = (HeapPage*)start;
            ulong cells = (ulong)page->Cells;
            if (address < cells) return 0;
            ulong index = (address - cells) / page->CellSize;
            if (index >= page->CellCount || !page->IsAllocated((int)index)) return 0;
            return cells + index * page->CellSize;
        }

        /// <summary>Marks a cell FindCell returned; false if it was marked already.</summary>
        public static bool TryMark(ulong cell)
        {
            var page = (HeapPage*)(cell & ~(PageSize - 1));   // a large run's one cell is in its first page too
            int index = (int)((cell - (ulong)page->Cells) / page->CellSize);
            if (page->IsMarked(index)) return false;
            page->SetMarked(index);
            return true;
        }

        /// <summary>The size of a cell FindCell returned.</summary>
        public static ulong CellSize(ulong cell) => ((HeapPage*)(cell & ~(PageSize - 1)))->CellSize;

        /// <summary>Calls <paramref name="visit"/> for every marked cell (a collector whose mark stack overflowed rescans them).</summary>
        public void ForEachMarked(delegate*<ulong, void*, void> visit, void* context)
        {
            for (HeapPage* page = _smallPages; page != null; page = page->Next)
                for (int word = 0; word < HeapPage.BitmapWords; word++)
                    for (ulong bits = page->MarkBits[word]; bits != 0; bits &= bits - 1)
                        visit((ulong)page->Cells + (ulong)(word * 64 + Bits.LowestSet(bits)) * page->CellSize, context);
            for (HeapPage* run = _largeRuns; run != null; run = run->Next)
                if (run->IsMarked(0)) visit((ulong)run->Cells, context);
        }

        /// <summary>
        /// Frees every cell not marked since the last sweep and clears the marks; pages left empty go back to the page
        /// source. Returns the bytes still in use.
        /// </summary>
        public ulong Sweep()
        {
            for (int i = 0; i < ClassCount; i++) _withRoom[i] = 0;
            ulong live = 0;
            for (HeapPage* page = _smallPages, next; page != null; page = next)
            {
                next = page->Next;
                int allocated = page->KeepMarked();
                page->Allocated = (ushort)allocated;
                if (allocated == 0) { FreeRun(ref _smallPages, page); continue; }
                live += (ulong)allocated * page->CellSize;
                page->NextWithRoom = null;
                if (allocated < page->CellCount)
                {
                    page->NextWithRoom = (HeapPage*)_withRoom[page->SizeClass];
                    _withRoom[page->SizeClass] = (ulong)page;
                }
            }
            for (HeapPage* run = _largeRuns, next; run != null; run = next)
            {
                next = run->Next;
                if (run->KeepMarked() == 0) FreeRun(ref _largeRuns, run);
                else live += run->CellSize;
            }
            BytesInUse = live;
            BytesSinceCollection = 0;
            return live;
        }

        /// <summary>Gives every page back (the process ended): nothing in the heap is reachable any more.</summary>
        public void ReleaseAll()
        {
            while (_smallPages != null) FreeRun(ref _smallPages, _smallPages);
            while (_largeRuns != null) FreeRun(ref _largeRuns, _largeRuns);
            for (int i = 0; i < ClassCount; i++) _withRoom[i] = 0;
            BytesInUse = BytesSinceCollection = 0;
        }

        private static void Link(ref HeapPage* list, HeapPage* page)
        {
            page->Prev = null;
            page->Next = list;
            if (list != null) list->Prev = page;
            list = page;
        }

        private static void Unlink(ref HeapPage* list, HeapPage* page)
        {
            if (page->Prev != null) page->Prev->Next = page->Next;
            else list = page->Next;
            if (page->Next != null) page->Next->Prev = page->Prev;
        }
    }

    /// <summary>The header at the start of every page (one size class's cells) or run (one large object) of an object heap.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct HeapPage
    {
        public const ushort Large = 0xFFFF;
        public const int BitmapWords = 4;       // 248 cells at most (16-byte cells)

        public uint CellSize;
        public uint Pages;
        public ushort CellCount;
        public ushort Allocated;
        public ushort SizeClass;                // Large for a run holding one object
        public HeapPage* Next, Prev;            // the heap's small pages, or its large runs
        public HeapPage* NextWithRoom;          // its size class's pages with a free cell
        public fixed ulong AllocBits[BitmapWords];
        public fixed ulong MarkBits[BitmapWords];

        public byte* Cells
        {
            get
            {
                fixed (HeapPage* self = &this) return (byte*)self + ObjectHeap.HeaderBytes;
            }
        }

        public bool IsAllocated(int cell) => (AllocBits[cell / 64] & (1UL << (cell % 64))) != 0;
        public void SetAllocated(int cell) => AllocBits[cell / 64] |= 1UL << (cell % 64);
        public bool IsMarked(int cell) => (MarkBits[cell / 64] & (1UL << (cell % 64))) != 0;
        public void SetMarked(int cell) => MarkBits[cell / 64] |= 1UL << (cell % 64);

        /// <summary>The lowest free cell; only called while one is free (Allocated &lt; CellCount), so it is below CellCount.</summary>
        public int FirstFree()
        {
            for (int word = 0; word < BitmapWords; word++)
                if (~AllocBits[word] != 0) return word * 64 + Bits.LowestSet(~AllocBits[word]);
            return -1;
        }

        /// <summary>Allocated becomes marked (the unmarked die), marks clear; returns the cells still allocated.</summary>
        public int KeepMarked()
        {
            int count = 0;
            for (int word = 0; word < BitmapWords; word++)
            {
                AllocBits[word] &= MarkBits[word];
                MarkBits[word] = 0;
                count += Bits.Count(AllocBits[word]);
            }
            return count;
        }
    }
}

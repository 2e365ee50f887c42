using Kernel.Runtime;

namespace Kernel.Memory
{
    /// <summary>What one collection found and freed.</summary>
    public struct CollectionResult
    {
        public ulong LiveBytes;        // cells still in use after the sweep
        public ulong MarkedObjects;
        public ulong Roots;            // root words that pointed into a live cell
        public bool MarkStackOverflowed;
    }

    /// <summary>
    /// Mark-sweep over one ObjectHeap (docs/heap.md). Roots are found conservatively in the memory ranges the caller
    /// names — the process's stack, with its registers pushed onto it — because ilc's stack maps are not ours to
    /// read: every aligned word that points into a live cell, interior pointers included, keeps that cell. From
    /// there objects are traced precisely through their type's GC layout (Kernel/Runtime/GcLayout.cs). References to
    /// anything outside the heap (the kernel heap, frozen strings in the image) are left alone: the page map says
    /// they are not this heap's. The collector reads and writes only the heap's pages and its mark stack, so it runs
    /// on the process's own CPU while only that process waits. Pure: compiled by the host tests too.
    /// </summary>
    public static unsafe class Collector
    {
        /// <summary>One collection in progress: Begin, MarkRange for each root range, Finish. It must not move (a local).</summary>
        public struct Collection
        {
            internal ObjectHeap* Heap;
            internal MarkStack Stack;
            internal ulong Marked;
            internal ulong Roots;
            internal bool EveryWord;
        }

        /// <summary>
        /// Collects <paramref name="heap"/>; the roots are the words in [ranges[2i], ranges[2i + 1]) for each of
        /// <paramref name="rangeCount"/> ranges. The mark stack takes pages from <paramref name="stackPages"/> and
        /// returns them before the sweep.
        /// </summary>
        public static CollectionResult Collect(ObjectHeap* heap, PageSource stackPages, ulong* ranges, int rangeCount)
        {
            var collection = new Collection();
            Begin(&collection, heap, stackPages);
            for (int i = 0; i < rangeCount; i++) MarkRange(&collection, ranges[2 * i], ranges[2 * i + 1]);
            return Finish(&collection);
        }

        /// <summary>
        /// Starts collecting <paramref name="heap"/>; its mark stack takes pages from <paramref name="stackPages"/>.
        /// With <paramref name="everyWord"/> a marked object's every word is read as a possible reference, not only its
        /// reference fields: kernel objects keep raw pointers too (KernelTaskHeap).
        /// </summary>
        public static void Begin(Collection* collection, ObjectHeap* heap, PageSource stackPages, bool everyWord = false)
        {
            collection->Heap = heap;
            collection->Stack = new MarkStack(stackPages);
            collection->Marked = collection->Roots = 0;
            collection->EveryWord = everyWord;
        }

        /// <summary>Marks everything reachable from the words in [start, end), each taken as a possible reference.</summary>
        public static void MarkRange(Collection* collection, ulong start, ulong end)
        {
            ObjectHeap* heap = collection->Heap;
            for (ulong* word = (ulong*)(start & ~7UL); word < (ulong*)end; word++)
            {
                ulong cell = heap->FindCell(*word);
                if (cell == 0) continue;
                collection->Roots++;
                if (ObjectHeap.TryMark(cell)) Push(collection, cell);
            }
            Drain(collection);
        }

        /// <summary>Marks what an overflowed mark stack left untraced, returns the stack's pages and sweeps.</summary>
        public static CollectionResult Finish(Collection* collection)
        {
            bool overflowed = collection->Stack.Overflowed;
            while (collection->Stack.Overflowed)
            {
                // Some marked objects were never traced: trace every marked one again until a pass loses nothing.
                collection->Stack.Overflowed = false;
                collection->Heap->ForEachMarked(&Retrace, collection);
                Drain(collection);
            }
            collection->Stack.Release();
            ulong live = collection->Heap->Sweep();
            return new CollectionResult { LiveBytes = live, MarkedObjects = collection->Marked, Roots = collection->Roots, MarkStackOverflowed = overflowed };
        }

        private static void Push(Collection* collection, ulong cell)
        {
            collection->Marked++;
            collection->Stack.Push(cell);
        }

        private static void Drain(Collection* collection)
        {
            while (collection->Stack.TryPop(out ulong cell)) Trace(cell, collection);
        }

        private static void Trace(ulong cell, Collection* collection)
        {
            if (collection->EveryWord)
            {
                ulong end = cell + ObjectHeap.CellSize(cell);
                for (ulong* word = (ulong*)cell; word < (ulong*)end; word++) VisitReference(*word, collection);
                return;
            }
            byte* obj = (byte*)cell + GcLayout.HeaderBytes;
            if (*(ulong*)obj == 0) return;   // a cell whose object was never written (cannot be reached, but costs nothing)
            GcLayout.ForEachReference(obj, &VisitReference, collection);
        }

        private static void VisitReference(ulong reference, void* context)
        {
            var collection = (Collection*)context;
            ulong cell = collection->Heap->FindCell(reference);
            if (cell != 0 && ObjectHeap.TryMark(cell)) Push(collection, cell);
        }

        private static void Retrace(ulong cell, void* context) => Trace(cell, (Collection*)context);
    }

    /// <summary>
    /// The collector's stack of marked cells still to trace, in chunks of one page taken from a page source. A push
    /// that finds no page drops the cell and records the overflow; the collector then retraces. One emptied chunk is
    /// kept for the next push, so a stack that goes up and down across a chunk's edge does not take and free a page each time.
    /// </summary>
    public unsafe struct MarkStack
    {
        private const ulong Capacity = (ObjectHeap.PageSize - 16) / sizeof(ulong);

        private struct Chunk
        {
            public Chunk* Below;
            public ulong Count;
        }

        private readonly PageSource _source;
        private Chunk* _top;
        private Chunk* _spare;
        public bool Overflowed;

        public MarkStack(PageSource source)
        {
            _source = source;
            _top = _spare = null;
            Overflowed = false;
        }

        private static ulong* Entries(Chunk* chunk) => (ulong*)(chunk + 1);

        public void Push(ulong cell)
        {
            if (_top == null || _top->Count == Capacity)
            {
                Chunk* chunk = _spare;
                _spare = null;
                if (chunk == null && (chunk = (Chunk*)_source.Allocate(1)) == null)
                {
                    Overflowed = true;
                    return;
                }
                chunk->Below = _top;
                chunk->Count = 0;
                _top = chunk;
            }
            Entries(_top)[_top->Count++] = cell;
        }

        public bool TryPop(out ulong cell)
        {
            while (_top != null && _top->Count == 0)
            {
                Chunk* empty = _top;
                _top = empty->Below;
                if (_spare == null) _spare = empty;
                else _source.Free((ulong)empty, 1);
            }
            cell = _top != null ? Entries(_top)[--_top->Count] : 0;
            return _top != null;
        }

        /// <summary>Returns every page (the stack is empty at the end of a collection).</summary>
        public void Release()
        {
            while (_top != null)
            {
                Chunk* below = _top->Below;
                _source.Free((ulong)_top, 1);
                _top = below;
            }
            if (_spare != null) _source.Free((ulong)_spare, 1);
            _spare = null;
        }
    }
}

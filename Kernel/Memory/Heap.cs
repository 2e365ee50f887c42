namespace Kernel.Memory
{
    /// <summary>
    /// The kernel heap behind `new`: a bump allocator over chunks of zeroed memory. There is no
    /// garbage collector and no free: what the kernel allocates it keeps, so boot-time and long-lived
    /// structures go here and hot paths allocate nothing. When a chunk runs out the heap asks its
    /// page source for another; when that fails, TryAllocate returns null and the caller decides
    /// (KernelHeap panics, naming the request). A struct with no references, so the kernel can
    /// keep it in a plain static before static references work. Each chunk taken from the page source starts with a
    /// header linking it to the one before, so the kernel task's collector can read every used byte of the heap for
    /// references into its own (UsedParts). Pure: compiled by the host tests too.
    /// </summary>
    public unsafe struct Heap
    {
        public const ulong ChunkSize = 1024 * 1024;
        public const ulong Alignment = 16;   // SSE spills of 16-byte structs need it
        private const ulong PageSize = PageFrameAllocator.PageSize;

        private byte* _cursor;
        private byte* _limit;
        private delegate*<ulong, ulong> _allocatePages;   // page count → zeroed physical (= virtual) address, 0 if none
        private ChunkHeader* _newestChunk;                 // chunks from the page source, newest first; not the initial area
        private byte* _initialStart, _initialUsedEnd;      // the initial area's used part, once the heap has moved on

        internal struct ChunkHeader
        {
            public ChunkHeader* Previous;
            public byte* UsedEnd;   // where the cursor stopped when the heap moved on to the next chunk
        }

        /// <summary>The used part of every chunk and of the initial area, as of now; walk them with ForEach.</summary>
        public readonly struct UsedPartList
        {
            private readonly ChunkHeader* _newest;
            private readonly byte* _cursor;
            private readonly byte* _initialStart, _initialEnd;

            internal UsedPartList(ChunkHeader* newest, byte* cursor, byte* initialStart, byte* initialEnd)
            {
                _newest = newest;
                _cursor = cursor;
                _initialStart = initialStart;
                _initialEnd = initialEnd;
            }

            /// <summary>Calls <paramref name="visit"/>(start, end, context) for each used part: chunks newest first, the initial area last.</summary>
            public void ForEach(delegate*<ulong, ulong, void*, void> visit, void* context)
            {
                for (ChunkHeader* chunk = _newest; chunk != null; chunk = chunk->Previous)
                    visit((ulong)(chunk + 1), (ulong)(chunk == _newest ? _cursor : chunk->UsedEnd), context);
                visit((ulong)_initialStart, (ulong)_initialEnd, context);
            }
        }

        public ulong BytesAllocated { get; private set; }
        public ulong BytesReserved { get; private set; }
        public ulong Allocations { get; private set; }
        public ulong Chunks { get; private set; }

        /// <summary>Starts the heap on an initial zeroed area; <paramref name="allocatePages"/> may be null until pages can be had.</summary>
        public void Initialize(byte* start, byte* end, delegate*<ulong, ulong> allocatePages)
        {
            _cursor = _initialStart = AlignUp(start);
            _limit = end;
            _allocatePages = allocatePages;
            BytesReserved = (ulong)(end - _cursor);
            Chunks = 1;
        }

        public void SetPageSource(delegate*<ulong, ulong> allocatePages) => _allocatePages = allocatePages;

        /// <summary>Zeroed, 16-byte-aligned memory, or null when neither the current chunk nor the page source can supply it.</summary>
        public void* TryAllocate(ulong size)
        {
            size = (size + Alignment - 1) & ~(Alignment - 1);
            if (size == 0) size = Alignment;
            if ((ulong)(_limit - _cursor) < size && !Grow(size)) return null;
            byte* result = _cursor;
            _cursor += size;
            BytesAllocated += size;
            Allocations++;
            return result;
        }

        public ulong BytesFree => (ulong)(_limit - _cursor);

        /// <summary>Every used part of the heap so far (a reader that races TryAllocate must hold the heap's lock).</summary>
        public UsedPartList UsedParts => new UsedPartList(_newestChunk, _cursor, _initialStart, _newestChunk == null ? _cursor : _initialUsedEnd);

        private bool Grow(ulong size)
        {
            if (_allocatePages == null) return false;
            ulong needed = size + (ulong)sizeof(ChunkHeader);
            ulong chunk = needed > ChunkSize ? (needed + PageSize - 1) & ~(PageSize - 1) : ChunkSize;
            ulong address = _allocatePages(chunk / PageSize);
            if (address == 0) return false;
            if (_newestChunk != null) _newestChunk->UsedEnd = _cursor;
            else _initialUsedEnd = _cursor;
            var header = (ChunkHeader*)address;
            header->Previous = _newestChunk;
            _newestChunk = header;
            _cursor = (byte*)(header + 1);
            _limit = (byte*)address + chunk;
            BytesReserved += chunk;
            Chunks++;
            return true;
        }

        private static byte* AlignUp(byte* p) => (byte*)(((ulong)p + Alignment - 1) & ~(Alignment - 1));
    }
}

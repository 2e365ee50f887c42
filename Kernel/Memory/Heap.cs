namespace Kernel.Memory
{
    /// <summary>
    /// The kernel heap behind `new`: a bump allocator over chunks of zeroed memory. There is no
    /// garbage collector and no free: what the kernel allocates it keeps, so boot-time and long-lived
    /// structures go here and hot paths allocate nothing. When a chunk runs out the heap asks its
    /// page source for another; when that fails, TryAllocate returns null and the caller decides
    /// (KernelHeap panics, naming the request). A struct with no references, so the kernel can
    /// keep it in a plain static before static references work. Pure: compiled by the host tests too.
    /// </summary>
    public unsafe struct Heap
    {
        public const ulong ChunkSize = 1024 * 1024;
        public const ulong Alignment = 16;   // SSE spills of 16-byte structs need it
        private const ulong PageSize = 4096;

        private byte* _cursor;
        private byte* _limit;
        private delegate*<ulong, ulong> _allocatePages;   // page count → zeroed physical (= virtual) address, 0 if none

        public ulong BytesAllocated { get; private set; }
        public ulong BytesReserved { get; private set; }
        public ulong Allocations { get; private set; }
        public ulong Chunks { get; private set; }

        /// <summary>Starts the heap on an initial zeroed area; <paramref name="allocatePages"/> may be null until pages can be had.</summary>
        public void Initialize(byte* start, byte* end, delegate*<ulong, ulong> allocatePages)
        {
            _cursor = AlignUp(start);
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

        private bool Grow(ulong size)
        {
            if (_allocatePages == null) return false;
            ulong chunk = size > ChunkSize ? (size + PageSize - 1) & ~(PageSize - 1) : ChunkSize;
            ulong address = _allocatePages(chunk / PageSize);
            if (address == 0) return false;
            _cursor = (byte*)address;
            _limit = _cursor + chunk;
            BytesReserved += chunk;
            Chunks++;
            return true;
        }

        private static byte* AlignUp(byte* p) => (byte*)(((ulong)p + Alignment - 1) & ~(Alignment - 1));
    }
}

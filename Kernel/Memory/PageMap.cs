namespace Kernel.Memory
{
    /// <summary>
    /// Which object heap owns each physical page, as Linux's mem_map keeps a struct page per page: one 32-bit entry
    /// per 4 KiB page, the owner's ID in the low half (0: no heap) and in the high half how many pages back the run
    /// holding the page starts. A collector asks it whether a word found on a stack points into its own heap before
    /// it reads anything there, so a word that points at another heap, the kernel heap, the image or a device is
    /// dropped unread. Each heap writes only its own pages' entries, so heaps on different CPUs need no lock.
    /// Pure: compiled by the host tests too.
    /// </summary>
    public unsafe struct PageMap
    {
        public const ulong PageSize = PageFrameAllocator.PageSize;
        public const ulong MaxRunPages = 1UL << 16;   // the distance back to a run's start has 16 bits

        private uint* _entries;
        private ulong _firstPage;
        private ulong _pageCount;

        public static ulong BytesFor(ulong pages) => pages * sizeof(uint);

        /// <summary>Covers <paramref name="pages"/> pages from <paramref name="firstAddress"/>; <paramref name="entries"/> holds BytesFor(pages) bytes.</summary>
        public void Initialize(uint* entries, ulong firstAddress, ulong pages)
        {
            _entries = entries;
            _firstPage = firstAddress / PageSize;
            _pageCount = pages;
            Lib.Memory.Zero(entries, (nuint)BytesFor(pages));
        }

        public bool Covers(ulong address, ulong pages) =>
            address % PageSize == 0 && address / PageSize >= _firstPage && address / PageSize - _firstPage + pages <= _pageCount && pages <= MaxRunPages;

        /// <summary>Marks a run of pages as the heap's.</summary>
        public void Claim(ulong runStart, ulong pages, ushort owner)
        {
            uint* entry = _entries + (runStart / PageSize - _firstPage);
            for (ulong i = 0; i < pages; i++) entry[i] = owner | (uint)(i << 16);
        }

        public void Release(ulong runStart, ulong pages) =>
            Lib.Memory.Zero(_entries + (runStart / PageSize - _firstPage), (nuint)BytesFor(pages));

        /// <summary>The start of the run holding <paramref name="address"/> if <paramref name="owner"/> owns it, else 0.</summary>
        public ulong RunStart(ulong address, ushort owner)
        {
            ulong page = address / PageSize;
            if (page < _firstPage || page - _firstPage >= _pageCount) return 0;
            uint entry = _entries[page - _firstPage];
            if ((ushort)entry != owner || owner == 0) return 0;
            return (page - (entry >> 16)) * PageSize;
        }
    }
}

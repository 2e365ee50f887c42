namespace Kernel.Memory
{
    /// <summary>
    /// Physical page bookkeeping: one bit per 4 KiB page below the top of usable RAM, set = in use.
    /// Everything starts in use; the caller frees what the memory map says is available and then
    /// reserves what must never be handed out. Allocation is next-fit from a moving hint.
    /// Physical address 0 is never free, so 0 means "no page". Pure: compiled by the host tests too.
    /// </summary>
    public unsafe struct PageFrameAllocator
    {
        public const ulong PageSize = 4096;
        private const int PageShift = 12;

        private ulong* _bitmap;
        private ulong _pageCount;
        private ulong _hint;

        public ulong TotalPages => _pageCount;
        public ulong FreePages { get; private set; }

        public static ulong BitmapBytesFor(ulong topAddress) => (PagesBelow(topAddress) + 63) / 64 * 8;

        /// <summary>Takes <paramref name="bitmap"/> (BitmapBytesFor bytes) to track pages below <paramref name="topAddress"/>, all in use.</summary>
        public void Initialize(ulong* bitmap, ulong topAddress)
        {
            _bitmap = bitmap;
            _pageCount = PagesBelow(topAddress);
            ulong words = (_pageCount + 63) / 64;
            for (ulong i = 0; i < words; i++) bitmap[i] = ~0UL;
            FreePages = 0;
            _hint = 0;
        }

        /// <summary>Marks the whole pages inside [start, start+length) free (partial pages at either end stay used).</summary>
        public void MarkFree(ulong start, ulong length)
        {
            ulong first = (start + PageSize - 1) >> PageShift;
            ulong end = ClampPage((start + length) >> PageShift);
            for (ulong page = first; page < end; page++)
                if (page != 0 && IsUsed(page)) { Clear(page); FreePages++; }
        }

        /// <summary>Marks every page touching [start, start+length) used.</summary>
        public void MarkReserved(ulong start, ulong length)
        {
            if (length == 0) return;
            ulong first = start >> PageShift;
            ulong end = ClampPage((start + length + PageSize - 1) >> PageShift);
            for (ulong page = first; page < end; page++)
                if (!IsUsed(page)) { Set(page); FreePages--; }
        }

        public bool IsFree(ulong address)
        {
            ulong page = address >> PageShift;
            return page < _pageCount && !IsUsed(page);
        }

        /// <summary>One page, or 0 when none is left.</summary>
        public ulong Allocate() => AllocateContiguous(1, 1);

        /// <summary><paramref name="pages"/> consecutive pages whose first page number is a multiple of <paramref name="alignmentPages"/>; 0 when there is no such run.</summary>
        public ulong AllocateContiguous(ulong pages, ulong alignmentPages)
        {
            if (pages == 0 || pages > FreePages || alignmentPages == 0) return 0;
            for (int pass = 0; pass < 2; pass++)
            {
                ulong from = pass == 0 ? _hint : 0;
                ulong to = pass == 0 ? _pageCount : _hint;
                ulong candidate = (from + alignmentPages - 1) / alignmentPages * alignmentPages;
                while (candidate + pages <= _pageCount && candidate < to)
                {
                    ulong run = 0;
                    while (run < pages && !IsUsed(candidate + run)) run++;
                    if (run == pages)
                    {
                        for (ulong i = 0; i < pages; i++) Set(candidate + i);
                        FreePages -= pages;
                        _hint = candidate + pages;
                        return candidate << PageShift;
                    }
                    ulong next = candidate + run + 1;
                    candidate = (next + alignmentPages - 1) / alignmentPages * alignmentPages;
                }
            }
            return 0;
        }

        /// <summary>Returns pages to the pool; false (and no change) if any of them was not allocated.</summary>
        public bool Free(ulong address, ulong pages)
        {
            ulong first = address >> PageShift;
            if ((address & (PageSize - 1)) != 0 || first == 0 || first + pages > _pageCount) return false;
            for (ulong i = 0; i < pages; i++)
                if (!IsUsed(first + i)) return false;
            for (ulong i = 0; i < pages; i++) Clear(first + i);
            FreePages += pages;
            return true;
        }

        private static ulong PagesBelow(ulong address) => address >> PageShift;
        private ulong ClampPage(ulong page) => page < _pageCount ? page : _pageCount;
        private bool IsUsed(ulong page) => (_bitmap[page >> 6] & (1UL << (int)(page & 63))) != 0;
        private void Set(ulong page) => _bitmap[page >> 6] |= 1UL << (int)(page & 63);
        private void Clear(ulong page) => _bitmap[page >> 6] &= ~(1UL << (int)(page & 63));
    }
}

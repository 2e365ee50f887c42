namespace Kernel.Arch
{
    /// <summary>Page-table entry bits (SDM Vol. 3A §4.5 "4-Level Paging", Tables 4-15 to 4-20).</summary>
    [System.Flags]
    public enum PageFlags : ulong
    {
        None = 0,
        Present = 1UL << 0,
        Writable = 1UL << 1,
        User = 1UL << 2,
        WriteThrough = 1UL << 3,
        CacheDisable = 1UL << 4,
        Large = 1UL << 7,          // PS: a 2 MiB page in a page-directory entry
        Global = 1UL << 8,
        NoExecute = 1UL << 63,     // XD: needs IA32_EFER.NXE
    }

    /// <summary>
    /// Builds 4-level x86-64 page tables (PML4 → PDPT → PD → PT). Table pages come from a callback that
    /// returns a zeroed, identity-addressable page (physical address usable as a pointer), which the
    /// kernel satisfies from PhysicalMemory and the host tests from native memory. Upper-level entries
    /// are always present + writable; permissions are decided at the leaf, where the SDM combines them.
    /// Pure: compiled by the host tests too.
    /// </summary>
    public unsafe struct PageTables
    {
        public const ulong PageSize = 4096;
        public const ulong LargePageSize = 2 * 1024 * 1024;
        private const ulong AddressMask = 0x000F_FFFF_FFFF_F000;
        private const ulong LargeAddressMask = 0x000F_FFFF_FFE0_0000;
        private const ulong TableFlags = (ulong)(PageFlags.Present | PageFlags.Writable);

        private ulong* _pml4;
        private delegate*<ulong> _allocateTable;

        public ulong Root => (ulong)_pml4;
        public ulong TablePages { get; private set; }

        /// <summary>False when the first table page could not be had.</summary>
        public bool Initialize(delegate*<ulong> allocateTable)
        {
            _allocateTable = allocateTable;
            _pml4 = NewTable();
            return _pml4 != null;
        }

        /// <summary>Maps one 4 KiB page; splits nothing (the 2 MiB slot must not hold a large page). False if a table page was unavailable.</summary>
        public bool Map4K(ulong virtualAddress, ulong physicalAddress, PageFlags flags)
        {
            ulong* pd = Walk(virtualAddress);
            if (pd == null) return false;
            ulong* pde = &pd[Index(virtualAddress, 21)];
            if ((*pde & (ulong)PageFlags.Large) != 0) return false;
            if ((*pde & (ulong)PageFlags.Present) == 0)
            {
                ulong* table = NewTable();
                if (table == null) return false;
                *pde = (ulong)table | TableFlags;
            }
            ulong* pt = (ulong*)(*pde & AddressMask);
            pt[Index(virtualAddress, 12)] = (physicalAddress & AddressMask) | (ulong)(flags | PageFlags.Present);
            return true;
        }

        /// <summary>Removes a 4 KiB mapping made by Map4K (the caller flushes the TLB entry). False if there was none.</summary>
        public bool Unmap4K(ulong virtualAddress)
        {
            ulong entry = _pml4[Index(virtualAddress, 39)];
            for (int shift = 30; shift >= 21; shift -= 9)
            {
                if ((entry & (ulong)PageFlags.Present) == 0 || (shift == 21 && (entry & (ulong)PageFlags.Large) != 0)) return false;
                entry = ((ulong*)(entry & AddressMask))[Index(virtualAddress, shift)];
            }
            if ((entry & (ulong)PageFlags.Present) == 0 || (entry & (ulong)PageFlags.Large) != 0) return false;
            ulong* pt = (ulong*)(entry & AddressMask);
            if ((pt[Index(virtualAddress, 12)] & (ulong)PageFlags.Present) == 0) return false;
            pt[Index(virtualAddress, 12)] = 0;
            return true;
        }

        /// <summary>Maps one 2 MiB page (both addresses 2 MiB-aligned). False if a table page was unavailable.</summary>
        public bool Map2M(ulong virtualAddress, ulong physicalAddress, PageFlags flags)
        {
            ulong* pd = Walk(virtualAddress);
            if (pd == null) return false;
            pd[Index(virtualAddress, 21)] = (physicalAddress & LargeAddressMask) | (ulong)(flags | PageFlags.Present | PageFlags.Large);
            return true;
        }

        /// <summary>The leaf entry mapping <paramref name="virtualAddress"/> (with Large set for 2 MiB pages), or 0 if unmapped.</summary>
        public ulong Lookup(ulong virtualAddress) => Lookup(Root, virtualAddress);

        public static ulong Lookup(ulong root, ulong virtualAddress)
        {
            ulong entry = ((ulong*)root)[Index(virtualAddress, 39)];
            if ((entry & (ulong)PageFlags.Present) == 0) return 0;
            entry = ((ulong*)(entry & AddressMask))[Index(virtualAddress, 30)];
            if ((entry & (ulong)PageFlags.Present) == 0) return 0;
            entry = ((ulong*)(entry & AddressMask))[Index(virtualAddress, 21)];
            if ((entry & (ulong)PageFlags.Present) == 0 || (entry & (ulong)PageFlags.Large) != 0) return entry;
            return ((ulong*)(entry & AddressMask))[Index(virtualAddress, 12)];
        }

        // PML4 → PDPT → PD, creating missing tables; returns the page directory covering the address.
        private ulong* Walk(ulong virtualAddress)
        {
            ulong* table = _pml4;
            for (int shift = 39; shift > 21; shift -= 9)
            {
                ulong* entry = &table[Index(virtualAddress, shift)];
                if ((*entry & (ulong)PageFlags.Present) == 0)
                {
                    ulong* next = NewTable();
                    if (next == null) return null;
                    *entry = (ulong)next | TableFlags;
                }
                table = (ulong*)(*entry & AddressMask);
            }
            return table;
        }

        private ulong* NewTable()
        {
            ulong page = _allocateTable();
            if (page != 0) TablePages++;
            return (ulong*)page;
        }

        private static ulong Index(ulong virtualAddress, int shift) => (virtualAddress >> shift) & 511;
    }
}

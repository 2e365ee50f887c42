using Kernel.Lib;

namespace Kernel.Arch
{
    /// <summary>
    /// The kernel's own address space, replacing the boot stub's 4 GiB of writable, executable 2 MiB
    /// pages. Physical memory stays identity-mapped, but with W^X: kernel text is read-only and
    /// executable, read-only data is neither writable nor executable, everything else is writable
    /// and never executable (but for the AP trampoline's code page, read-only), and page 0 is unmapped so
    /// null dereferences fault. Code patching (the
    /// alternatives) must therefore go through a deliberate writable alias. CR0.WP (set by the boot
    /// stub) makes the read-only bits bind the kernel too (SDM Vol. 3A §4.6 "Access Rights").
    /// Paging takes no lock: the kernel serialises its edits after boot. Process stacks are mapped under the big
    /// kernel lock (Kernel/Proc/ProcessTable.cs), and the text alias only while one CPU is online
    /// (Alternatives' UP⇄SMP switch); the rest happens on the boot CPU before any other starts. Table pages come
    /// from the kernel's page allocator, handed over at Initialize.
    /// </summary>
    public static unsafe class Paging
    {
        private const ulong OneGiB = 1024UL * 1024 * 1024;
        private const ulong MinimumMappedTop = 4 * OneGiB;   // the MMIO hole (LAPIC, I/O APIC, HPET) lies below 4 GiB

        private static PageTables s_kernel;

        public static ulong KernelRoot => s_kernel.Root;
        public static ulong MappedTop { get; private set; }

        /// <param name="ramTop">the end of the highest RAM the page allocator manages</param>
        /// <param name="allocateZeroedPage">a zeroed page for the tables, or 0 when none is left</param>
        public static void Initialize(BootInfo boot, ImageLayout* image, ulong ramTop, delegate*<ulong> allocateZeroedPage)
        {
            if (!s_kernel.Initialize(allocateZeroedPage)) KernelEntry.Panic("no memory for the kernel's page tables");
            ulong top = (ramTop + OneGiB - 1) & ~(OneGiB - 1);
            MappedTop = top > MinimumMappedTop ? top : MinimumMappedTop;

            for (ulong slot = 0; slot < MappedTop; slot += PageTables.LargePageSize)
            {
                PageFlags cache = OverlapsRam(boot, slot, PageTables.LargePageSize) ? PageFlags.None : PageFlags.CacheDisable | PageFlags.WriteThrough;
                bool ok = NeedsSmallPages(image, slot)
                    ? MapSmallPages(image, slot, cache)
                    : s_kernel.Map2M(slot, slot, PageFlags.Writable | PageFlags.NoExecute | cache);
                if (!ok) KernelEntry.Panic("no memory for the kernel's page tables");
            }

            CpuNative.WriteCr0(CpuNative.ReadCr0() | Cr0.WriteProtect);
            CpuNative.WriteCr3(s_kernel.Root);
            Log.Info("paging", $"identity map 0..{MappedTop >> 30} GiB with W^X; text 0x{image->TextStart:x}-0x{image->TextEnd:x} r-x, {s_kernel.TablePages} table pages");
        }

        /// <summary>
        /// Where Alternatives writes kernel text: a temporary read-write, never-executable second mapping of
        /// the text's physical pages, far above the identity map. The text itself stays read-only throughout.
        /// </summary>
        public const ulong AliasBase = 0x0000_7F00_0000_0000;

        public static ulong MapWritableAlias(ulong physical, ulong pages)
        {
            for (ulong i = 0; i < pages; i++)
                if (!s_kernel.Map4K(AliasBase + i * PageTables.PageSize, physical + i * PageTables.PageSize, PageFlags.Writable | PageFlags.NoExecute))
                    KernelEntry.Panic("no memory for the kernel text's writable alias");
            return AliasBase;
        }

        public static void UnmapAlias(ulong pages)
        {
            for (ulong i = 0; i < pages; i++)
            {
                s_kernel.Unmap4K(AliasBase + i * PageTables.PageSize);
                CpuNative.Invlpg(AliasBase + i * PageTables.PageSize);
            }
        }

        /// <summary>
        /// Kernel stacks of processes and idle threads: one StackSlotBytes slot each, far above the identity map,
        /// whose lowest page stays unmapped. A stack that overflows faults on that guard page (a double fault, on
        /// its own IST stack, since the faulting stack cannot take the exception frame) instead of silently
        /// overwriting whatever lies below it.
        /// </summary>
        public const ulong StackRegionBase = 0x0000_7E00_0000_0000;
        public const ulong StackSlotBytes = 64 * 1024;

        /// <summary>Maps <paramref name="pages"/> pages at <paramref name="physical"/> into stack slot <paramref name="slot"/>; returns the stack's top.</summary>
        public static ulong MapStack(int slot, ulong physical, ulong pages)
        {
            ulong bottom = StackRegionBase + (ulong)slot * StackSlotBytes + PageTables.PageSize;
            if ((pages + 1) * PageTables.PageSize > StackSlotBytes) KernelEntry.Panic("a kernel stack larger than its slot in the stack region");
            for (ulong i = 0; i < pages; i++)
                if (!s_kernel.Map4K(bottom + i * PageTables.PageSize, physical + i * PageTables.PageSize, PageFlags.Writable | PageFlags.NoExecute))
                    KernelEntry.Panic("no memory for a kernel stack's page tables");
            return bottom + pages * PageTables.PageSize;
        }

        /// <summary>
        /// Device memory the identity map does not reach (a framebuffer above 4 GiB on real machines): mapped uncached,
        /// writable, never executable, into the next free part of a region far above the identity map. Returns the
        /// virtual address of <paramref name="physical"/>, or 0 when the region is full or no table page is left.
        /// </summary>
        public const ulong DeviceRegionBase = 0x0000_7D00_0000_0000;
        public const ulong DeviceRegionBytes = 64 * OneGiB;

        private static ulong s_deviceRegionUsed;

        public static ulong MapDeviceMemory(ulong physical, ulong bytes)
        {
            ulong first = physical & ~(PageTables.PageSize - 1);
            ulong pages = (physical + bytes - first + PageTables.PageSize - 1) / PageTables.PageSize;
            ulong virtualBase = DeviceRegionBase + s_deviceRegionUsed;
            bool ok = pages * PageTables.PageSize <= DeviceRegionBytes - s_deviceRegionUsed;
            for (ulong i = 0; ok && i < pages; i++)
                ok = s_kernel.Map4K(virtualBase + i * PageTables.PageSize, first + i * PageTables.PageSize,
                                    PageFlags.Writable | PageFlags.NoExecute | PageFlags.CacheDisable | PageFlags.WriteThrough);
            if (ok) s_deviceRegionUsed += pages * PageTables.PageSize;
            return ok ? virtualBase + (physical - first) : 0;
        }

        /// <summary>Whether <paramref name="address"/> lies in the guard page of a stack slot.</summary>
        public static bool IsStackGuard(ulong address) =>
            address >= StackRegionBase && (address - StackRegionBase) % StackSlotBytes < PageTables.PageSize;

        /// <summary>Makes image pages ordinary writable data, before they are handed to the page allocator.</summary>
        public static void MakeWritableData(ulong start, ulong end)
        {
            for (ulong page = start; page < end; page += PageTables.PageSize)
            {
                s_kernel.Map4K(page, page, PageFlags.Writable | PageFlags.NoExecute);
                CpuNative.Invlpg(page);
            }
        }

        /// <summary>The leaf entry mapping an address in the kernel's tables (0 if unmapped).</summary>
        public static ulong Lookup(ulong address) => PageTables.Lookup(s_kernel.Root, address);

        /// <summary>The permissions the kernel intends for a 4 KiB page inside its image.</summary>
        public static PageFlags ImagePageFlags(ImageLayout* image, ulong page)
        {
            if (page >= image->TextStart && page < image->TextEnd) return PageFlags.None;
            if (page >= image->RodataStart && page < image->RodataEnd) return PageFlags.NoExecute;
            if (page >= image->ImageStart && page < image->TextStart) return PageFlags.NoExecute;   // boot stub: done with it
            return PageFlags.Writable | PageFlags.NoExecute;
        }

        private static bool NeedsSmallPages(ImageLayout* image, ulong slot) =>
            slot == 0 || (slot < image->ImageEnd && image->ImageStart < slot + PageTables.LargePageSize)
                      || (ApTrampoline.CodePage != 0 && slot == (ApTrampoline.CodePage & ~(PageTables.LargePageSize - 1)));

        private static bool MapSmallPages(ImageLayout* image, ulong slot, PageFlags cache)
        {
            for (ulong page = slot; page < slot + PageTables.LargePageSize; page += PageTables.PageSize)
            {
                if (page == 0) continue;   // unmapped: a null dereference must fault
                PageFlags flags = page >= image->ImageStart && page < image->ImageEnd ? ImagePageFlags(image, page)
                                : page == ApTrampoline.CodePage ? PageFlags.None          // APs run it after enabling paging
                                : PageFlags.Writable | PageFlags.NoExecute;
                if (!s_kernel.Map4K(page, page, flags | cache)) return false;
            }
            return true;
        }

        private static bool OverlapsRam(BootInfo boot, ulong start, ulong length)
        {
            for (int i = 0; i < boot.MemoryMap.Length; i++)
            {
                MemoryRegion region = boot.MemoryMap[i];
                bool ram = region.Type == MemoryType.Available || region.Type == MemoryType.AcpiReclaimable || region.Type == MemoryType.AcpiNvs;
                if (ram && region.Base < start + length && start < region.End) return true;
            }
            return false;
        }
    }
}

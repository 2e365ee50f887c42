using Kernel.Memory;
using Kernel.Testing;
using Kernel.Arch;

namespace Kernel.SelfTests
{
    /// <summary>The page allocator against the machine's real memory map.</summary>
    [SelfTestSuite("pmm")]
    public static unsafe class PhysicalMemoryTests
    {
        private const ulong Page = PageFrameAllocator.PageSize;

        [SelfTest]
        public static void ProtectedRangesAreNeverFree()
        {
            var image = KernelMain.Image;
            var boot = KernelMain.BootInfo;
            for (ulong page = 0; page < PhysicalMemory.LowMemoryEnd; page += Page)
                Assert.False(PhysicalMemory.IsFree(page), "the first MiB (trampolines, BIOS data) is reserved");
            for (ulong page = image->ImageStart; page < image->ImageEnd; page += Page)
                if (!ReleasedAlternatives(image, page)) Assert.False(PhysicalMemory.IsFree(page), "the kernel image is reserved");
            Assert.False(PhysicalMemory.IsFree(boot.InfoAddress & ~(Page - 1)), "the multiboot information is reserved");
            for (int i = 0; i < boot.Modules.Length; i++)
                for (ulong page = boot.Modules[i].Start & ~(Page - 1); page < boot.Modules[i].End; page += Page)
                    Assert.False(PhysicalMemory.IsFree(page), "boot modules are reserved");
        }

        [SelfTest]
        public static void OnlyAvailableRegionsAreFree()
        {
            var map = KernelMain.BootInfo.MemoryMap;
            for (int i = 0; i < map.Length; i++)
            {
                if (map[i].Type == MemoryType.Available) continue;
                ulong first = map[i].Base & ~(Page - 1);
                for (ulong page = first; page < map[i].End && page < PhysicalMemory.Top; page += Page)
                    if (!CoveredByAvailable(map, page)) Assert.False(PhysicalMemory.IsFree(page), "a reserved/ACPI page is never free");
            }
        }

        [SelfTest]
        public static void AllocateFreeRoundTrip()
        {
            ulong before = PhysicalMemory.FreePages;
            ulong pages = PhysicalMemory.AllocateZeroedPages(8);
            Assert.True(pages != 0, "eight pages are available");
            Assert.Equal(before - 8, PhysicalMemory.FreePages, "free count drops by eight");
            for (ulong p = pages; p < pages + 8 * Page; p += Page)
                Assert.False(PhysicalMemory.IsFree(p), "allocated pages are marked used");
            for (int b = 0; b < 8 * (int)Page; b++)
                if (((byte*)pages)[b] != 0) Assert.Fail("allocated pages are zeroed");
            Assert.True(PhysicalMemory.FreePagesAt(pages, 8), "free succeeds");
            Assert.False(PhysicalMemory.FreePagesAt(pages, 8), "double free is refused");
            Assert.Equal(before, PhysicalMemory.FreePages, "free count restored");
        }

        // When no CPU can ever join, the alternatives tables' pages are handed back (Arch.x86/Alternatives.cs).
        private static bool ReleasedAlternatives(Arch.ImageLayout* image, ulong page) =>
            Arch.Alternatives.TablesReleased && page >= image->AlternativesStart && page < image->AlternativesEnd;

        private static bool CoveredByAvailable(MemoryRegion[] map, ulong page)
        {
            for (int i = 0; i < map.Length; i++)
                if (map[i].Type == MemoryType.Available && map[i].Base <= page && page + Page <= map[i].End) return true;
            return false;
        }
    }
}

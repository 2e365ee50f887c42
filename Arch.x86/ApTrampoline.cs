using Kernel.Lib;

namespace Kernel.Arch
{
    /// <summary>
    /// The real-mode start-up code for application processors (Bridge/Trampoline.asm) and its
    /// parameter block, placed in two pages of conventional memory below 640 KiB: a SIPI names a
    /// 4 KiB page below 1 MiB by its page number (SDM Vol. 3A §11.6.1, "Start-Up IPI" vector field).
    /// The code page is mapped read-only and executable, the block page writable and never executable.
    /// </summary>
    public static unsafe class ApTrampoline
    {
        private const ulong SearchStart = 0x8000;        // above the real-mode IVT, BIOS data area and boot sector
        private const ulong ConventionalEnd = 0xA0000;   // 640 KiB: EBDA and video memory above
        private const ulong Pages = 2;


        public static ulong CodePage { get; private set; }
        public static ulong BlockPage => CodePage + TrampolineLayout.BlockPageOffset;
        public static ApBootBlock* Block => (ApBootBlock*)BlockPage;
        public static byte StartupVector => (byte)(CodePage >> 12);

        /// <summary>
        /// Reserves the pages (inside the first MiB, which PhysicalMemory never hands out) and copies the code
        /// there. Runs before Paging.Initialize, which maps the pages accordingly. False if no RAM qualifies.
        /// </summary>
        public static bool Install(BootInfo boot, ImageLayout* image)
        {
            if (BuildConfiguration.Uniprocessor)
            {
                Log.Info("smp", "uniprocessor build (MaxCpus=1): no AP trampoline in the image");
                return false;
            }
            CodePage = FindPages(boot);
            if (CodePage == 0)
            {
                Log.Warn("smp", "no two free pages of conventional memory below 640 KiB for the AP trampoline: APs cannot be started");
                return false;
            }
            ulong size = image->TrampolineEnd - image->TrampolineStart;
            Lib.Memory.Zero((void*)CodePage, (nuint)(Pages * TrampolineLayout.PageSize));
            Lib.Memory.Move((void*)CodePage, (void*)image->TrampolineStart, (nuint)size);

            ApBootBlock* block = Block;
            block->GdtCode32 = SegmentDescriptors.Code32;
            block->GdtData = SegmentDescriptors.Data;
            block->GdtCode64 = SegmentDescriptors.Code64;
            block->GdtLimit = 4 * sizeof(ulong) - 1;
            block->GdtBase = (uint)BlockPage;                     // Gdt is the block's first field
            block->ProtectedEntry = (uint)(CodePage + image->TrampolineProtectedEntry - image->TrampolineStart);
            block->ProtectedSelector = TrampolineLayout.Code32Selector;
            block->LongEntry = (uint)(CodePage + image->TrampolineLongEntry - image->TrampolineStart);
            block->LongSelector = TrampolineLayout.Code64Selector;
            Log.Info("smp", $"AP trampoline at 0x{CodePage:x}, {size} bytes, parameter block at 0x{BlockPage:x}");
            return true;
        }

        /// <summary>Sets up a bring-up round: the page tables, a stack per AP (taken in arrival order) and the C# entry.</summary>
        public static void Prepare(ulong cr3, ulong* stackTops, delegate*<ulong, void> entry)
        {
            ApBootBlock* block = Block;
            block->Cr3 = (uint)cr3;
            block->StackTable = (ulong)stackTops;
            block->NextStack = 0;
            block->Entry = (ulong)entry;
        }

        private static ulong FindPages(BootInfo boot)
        {
            ulong bytes = Pages * TrampolineLayout.PageSize;
            for (ulong page = SearchStart; page + bytes <= ConventionalEnd; page += TrampolineLayout.PageSize)
                for (int i = 0; i < boot.MemoryMap.Length; i++)
                {
                    MemoryRegion region = boot.MemoryMap[i];
                    if (region.Type == MemoryType.Available && region.Base <= page && page + bytes <= region.End) return page;
                }
            return 0;
        }
    }
}

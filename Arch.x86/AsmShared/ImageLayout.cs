using System.Runtime.InteropServices;

namespace Kernel.Arch
{
    /// <summary>
    /// Addresses the linker script (Boot/kernel.ld) and the boot stub define, filled in by
    /// image_layout in Bridge/Image.asm. Regions are page-aligned by the linker script.
    /// </summary>
    [AsmShared]
    [StructLayout(LayoutKind.Sequential)]
    public struct ImageLayout
    {
        public ulong ImageStart, ImageEnd;
        public ulong TextStart, TextEnd;
        public ulong RodataStart, RodataEnd;
        public ulong DataStart, DataEnd;
        public ulong ModulesStart, ModulesEnd;   // ilc's __modules: pointers to ReadyToRun headers
        public ulong InterruptStubs;
        public ulong EarlyHeapStart, EarlyHeapEnd;
        public ulong BootStackBottom, BootStackTop;
        public ulong TrampolineStart, TrampolineEnd;                       // Bridge/Trampoline.asm, copied below 1 MiB
        public ulong TrampolineProtectedEntry, TrampolineLongEntry;        // its far-jump targets
        public ulong AlternativesStart, AlternativesEnd;                   // page-aligned, both tables
        public ulong AltReplacementsStart, AltReplacementsEnd;             // AltReplacement records
        public ulong AltLocksStart;                                        // AltLockTable + offsets
    }

    /// <summary>Sizes of the boot-time areas reserved in the image's .bss.</summary>
    [AsmShared]
    public static class EarlyHeap
    {
        // Serves allocations until the page allocator exists (statics, multiboot copies, the boot CPU's tables).
        public const int Size = 2 * 1024 * 1024;
    }
}

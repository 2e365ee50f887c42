using System.Runtime.InteropServices;

namespace Kernel.Arch
{
    /// <summary>
    /// The parameter block the boot CPU fills for Bridge/Trampoline.asm, in the page after the
    /// trampoline's code page (code runs there read-only; APs write only the stack ticket here).
    /// Offsets reach the asm through the generated layout.inc.
    /// </summary>
    [AsmShared]
    [StructLayout(LayoutKind.Sequential)]
    public struct ApBootBlock
    {
        public ulong Gdt;                 // the trampoline's GDT: null, code64, data, code32 (filled in by C#);
        public ulong GdtCode64;           // code64 and data sit at the kernel's own selectors, so the IDT's gates
        public ulong GdtData;             // stay valid until the AP loads its own GDT
        public ulong GdtCode32;
        public ushort Padding0;           // places the LGDT operand so its base is naturally aligned
        public ushort GdtLimit;           // LGDT operand: 16-bit limit, then the 32-bit linear base
        public uint GdtBase;
        public uint ProtectedEntry;       // far pointer for the 16→32-bit jump: offset, selector
        public ushort ProtectedSelector;
        public ushort Padding1;
        public uint LongEntry;            // far pointer for the 32→64-bit jump: offset, selector
        public ushort LongSelector;
        public ushort Padding2;
        public uint Cr3;                  // the kernel's PML4 (must lie below 4 GiB: loaded in 32-bit mode)
        public uint Padding3;
        public ulong StackTable;          // ulong[]: one stack top per AP, taken in arrival order
        public ulong NextStack;           // ticket counter: lock xadd by each arriving AP
        public ulong Entry;               // C# entry point: void ApEntry(ulong ticket)
    }

    /// <summary>Where the trampoline's pieces sit and the selectors of its GDT.</summary>
    [AsmShared]
    public static class TrampolineLayout
    {
        public const int PageSize = 4096;
        public const int BlockPageOffset = 0x1000;   // the ApBootBlock page follows the code page
        public const int Code64Selector = Selectors.KernelCode;   // the kernel's own selectors: the IDT's gates stay valid
        public const int DataSelector = Selectors.KernelData;
        public const int Code32Selector = 0x18;
    }
}

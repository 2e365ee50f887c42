namespace Kernel.Arch
{
    /// <summary>GDT selectors. Boot/Entry.asm's temporary GDT and Gdt.cs use the same slots.</summary>
    [AsmShared]
    public static class Selectors
    {
        public const ushort KernelCode = 0x08;
        public const ushort KernelData = 0x10;
        public const ushort Tss = 0x18;        // a 16-byte system descriptor: slots 3 and 4
    }

    /// <summary>
    /// The flat segment descriptors every GDT of the kernel holds: Boot/Entry.asm's, the AP trampoline's and each
    /// CPU's own (Gdt.cs). SDM Vol. 3A §3.4.5 "Segment Descriptors": base 0, limit 0xFFFFF in 4 KiB units, present,
    /// DPL 0; the accessed bit is preset so the CPU never writes a descriptor.
    /// </summary>
    [AsmShared]
    public static class SegmentDescriptors
    {
        public const ulong Code64 = 0x00AF_9B00_0000_FFFF;   // L=1: 64-bit code, execute/read
        public const ulong Data = 0x00CF_9300_0000_FFFF;     // read/write (base and limit ignored in 64-bit mode)
        public const ulong Code32 = 0x00CF_9B00_0000_FFFF;   // D=1: 32-bit code, for the trampoline's protected-mode step
    }

    /// <summary>The boot CPU's first stack, reserved in Entry.asm's .bss.</summary>
    [AsmShared]
    public static class BootStack
    {
        public const int Size = 64 * 1024;
    }

    /// <summary>Interrupt vector layout shared by InterruptStubs.asm and Idt.cs.</summary>
    [AsmShared]
    public static class Vectors
    {
        public const int Count = 256;
        public const int StubSize = 16;        // every stub is padded to this size so Idt.cs can compute its address
        // SDM Vol. 3A §6.15 "Exception and Interrupt Reference": the exceptions that push an error code.
        public const uint ErrorCodeMask = (1u << 8) | (1u << 10) | (1u << 11) | (1u << 12) | (1u << 13) | (1u << 14) | (1u << 17) | (1u << 21) | (1u << 29) | (1u << 30);
    }
}

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

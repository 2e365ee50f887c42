namespace Kernel.Arch
{
    /// <summary>Model-specific registers by their SDM names (SDM Vol. 4 "Model-Specific Registers").</summary>
    public enum Msr : uint
    {
        Ia32ApicBase = 0x1B,
        Ia32XApicDisableStatus = 0xBD,
        Ia32ArchCapabilities = 0x10A,
        Ia32Efer = 0xC000_0080,
        Ia32FsBase = 0xC000_0100,
        Ia32GsBase = 0xC000_0101,
        Ia32KernelGsBase = 0xC000_0102,
    }

    public static class Msrs
    {
        public static ulong Read(Msr msr) => CpuNative.ReadMsr((uint)msr);
        public static void Write(Msr msr, ulong value) => CpuNative.WriteMsr((uint)msr, value);
    }
}

namespace Kernel.Arch
{
    /// <summary>
    /// The legacy 8259A pair, retired in favour of the APICs: remapped to InterruptVectors.LegacyPicBase
    /// so a stray (spurious) interrupt cannot masquerade as an exception, then fully masked
    /// (Intel 8259A datasheet, ICW1–ICW4).
    /// </summary>
    public static class Pic8259
    {
        private const ushort MasterCommand = 0x20, MasterData = 0x21, SlaveCommand = 0xA0, SlaveData = 0xA1;
        private const byte Icw1InitWithIcw4 = 0x11;
        private const byte Icw4Mode8086 = 0x01;
        private const byte MasterVectorBase = InterruptVectors.LegacyPicBase, SlaveVectorBase = InterruptVectors.LegacyPicBase + 8;
        private const byte SlaveOnIrq2 = 0x04, SlaveIdentity = 0x02;
        private const byte MaskAll = 0xFF;

        public static void Retire()
        {
            CpuNative.OutB(MasterCommand, Icw1InitWithIcw4);
            CpuNative.OutB(SlaveCommand, Icw1InitWithIcw4);
            CpuNative.OutB(MasterData, MasterVectorBase);
            CpuNative.OutB(SlaveData, SlaveVectorBase);
            CpuNative.OutB(MasterData, SlaveOnIrq2);
            CpuNative.OutB(SlaveData, SlaveIdentity);
            CpuNative.OutB(MasterData, Icw4Mode8086);
            CpuNative.OutB(SlaveData, Icw4Mode8086);
            CpuNative.OutB(MasterData, MaskAll);
            CpuNative.OutB(SlaveData, MaskAll);
        }
    }
}

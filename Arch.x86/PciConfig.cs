namespace Kernel.Arch
{
    /// <summary>
    /// PCI configuration space through mechanism #1 (PCI Local Bus Specification 3.0 §3.2.2.3.2): write the address
    /// (enable bit 31, bus 23:16, device 15:11, function 10:8, dword-aligned register 7:2) to 0xCF8, then move the data
    /// through 0xCFC, at the register's byte offset within the dword. Bus 0 only: all the kernel reaches.
    /// </summary>
    public static class PciConfig
    {
        private const ushort AddressPort = 0xCF8, DataPort = 0xCFC;
        private const uint Enable = 0x8000_0000;

        public static uint Read32(uint device, uint function, uint offset)
        {
            Select(device, function, offset);
            return CpuNative.InL(DataPort);
        }

        public static void Write8(uint device, uint function, uint offset, byte value)
        {
            Select(device, function, offset);
            CpuNative.OutB((ushort)(DataPort + (offset & 3)), value);
        }

        private static void Select(uint device, uint function, uint offset) =>
            CpuNative.OutL(AddressPort, Enable | ((device & 0x1F) << 11) | ((function & 0x7) << 8) | (offset & 0xFC));
    }
}

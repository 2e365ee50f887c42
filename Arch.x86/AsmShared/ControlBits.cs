namespace Kernel.Arch
{
    /// <summary>CR0 bits the kernel sets or tests (SDM Vol. 3A §2.5 "Control Registers").</summary>
    [AsmShared]
    public static class Cr0
    {
        public const uint ProtectionEnable = 1u << 0;
        public const uint MonitorCoprocessor = 1u << 1;
        public const uint Emulation = 1u << 2;
        public const uint WriteProtect = 1u << 16;
        public const uint Paging = 1u << 31;
    }

    /// <summary>CR4 bits (same section).</summary>
    [AsmShared]
    public static class Cr4
    {
        public const uint PhysicalAddressExtension = 1u << 5;
        public const uint OsFxsr = 1u << 9;
        public const uint OsXmmExceptions = 1u << 10;
    }

    /// <summary>IA32_EFER and its bits (SDM Vol. 4 "IA32_EFER"; Vol. 3A §10.8.5 "Initializing IA-32e Mode").</summary>
    [AsmShared]
    public static class Efer
    {
        public const uint Msr = 0xC000_0080;
        public const uint LongModeEnable = 1u << 8;
        public const uint NoExecuteEnable = 1u << 11;
    }
}

namespace Kernel.Arch
{
    /// <summary>
    /// The ACPI power-management timer: a free-running 3.579545 MHz counter at the FADT's PM_TMR_BLK
    /// I/O port, 24 bits wide unless the FADT's TMR_VAL_EXT flag says 32 (ACPI 6.5 §4.8.3.3 "Power
    /// Management Timer"). Unlike the PIT it exists on modern machines, so calibration prefers it.
    /// </summary>
    public static class PmTimer
    {
        public const uint Hz = 3_579_545;

        private static ushort s_port;
        private static uint s_mask;

        public static bool Present => s_port != 0;

        public static void Configure(ushort port, bool is32Bit)
        {
            s_port = port;
            s_mask = is32Bit ? 0xFFFF_FFFF : 0x00FF_FFFF;
        }

        public static uint Read() => CpuNative.InL(s_port) & s_mask;

        /// <summary>Ticks from <paramref name="earlier"/> to <paramref name="later"/>, across one wrap.</summary>
        public static uint Elapsed(uint earlier, uint later) => (later - earlier) & s_mask;

        /// <summary>False if the counter does not move: a bogus port from a broken FADT.</summary>
        public static bool IsTicking()
        {
            uint first = Read();
            for (int i = 0; i < 100_000; i++)
                if (Read() != first) return true;
            return false;
        }
    }
}

namespace Kernel.Arch
{
    /// <summary>
    /// PIT channel 2 as a one-shot stopwatch (Intel 8254 datasheet: mode 0, 1.193182 MHz input). Channel 2
    /// is gated by port 0x61 bit 0 and its output is readable at port 0x61 bit 5, so no interrupt is
    /// needed. Machines without a PIT read 0xFF from port 0x61; callers then fall back.
    /// </summary>
    public static class Pit
    {
        public const uint Hz = 1_193_182;

        private const ushort Channel2Data = 0x42, Command = 0x43, GatePort = 0x61;
        private const byte Channel2OneShot = 0b10_11_000_0;   // channel 2, lobyte/hibyte, mode 0, binary
        private const byte Gate2Enable = 0x01, Speaker = 0x02, Out2 = 0x20;
        private const ulong MaxCountdownTsc = 2_000_000_000;  // > 0.2 s even at 10 GHz, beyond the longest countdown (55 ms): a dead PIT

        /// <summary>
        /// Runs a countdown of <paramref name="micros"/> µs (at most 54 ms: 16-bit counter) and reports the TSC
        /// ticks it took and how far the local APIC timer counted down meanwhile (0 if it is not running).
        /// False when there is no working PIT.
        /// </summary>
        public static bool MeasureWindow(uint micros, out ulong tscTicks, out ulong apicTicks, bool sampleApic = true)
        {
            tscTicks = apicTicks = 0;
            uint count = (uint)((ulong)Hz * micros / 1_000_000);
            byte gate = CpuNative.InB(GatePort);
            if (gate == 0xFF || count == 0 || count > 0xFFFF) return false;

            CpuNative.OutB(GatePort, (byte)(gate & ~(Speaker | Gate2Enable)));
            CpuNative.OutB(Command, Channel2OneShot);
            CpuNative.OutB(Channel2Data, (byte)count);
            CpuNative.OutB(Channel2Data, (byte)(count >> 8));
            uint startApic = sampleApic ? LocalApic.TimerCurrentCount : 0;
            ulong start = CpuNative.ReadTsc();
            CpuNative.OutB(GatePort, (byte)((gate & ~Speaker) | Gate2Enable));

            ulong now = start;
            while ((CpuNative.InB(GatePort) & Out2) == 0)
            {
                now = CpuNative.ReadTsc();
                if (now - start > MaxCountdownTsc) { CpuNative.OutB(GatePort, gate); return false; }
            }
            now = CpuNative.ReadTsc();
            uint endApic = sampleApic ? LocalApic.TimerCurrentCount : 0;
            CpuNative.OutB(GatePort, gate);
            tscTicks = now - start;
            apicTicks = startApic - endApic;
            return true;
        }
    }
}

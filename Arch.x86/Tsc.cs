using Kernel.Diagnostics;

namespace Kernel.Arch
{
    /// <summary>
    /// The time-stamp counter as the kernel's clock. Its rate is measured once against PIT channel 2
    /// (Intel 8254 datasheet, mode 0, 1.193182 MHz input), with a time-out in case no PIT exists;
    /// CPUID leaf 15H (TSC/crystal ratio) is the fallback when it reports a frequency.
    /// </summary>
    public static class Tsc
    {
        private const uint PitHz = 1_193_182;
        private const ushort PitChannel2Data = 0x42, PitCommand = 0x43, PitGatePort = 0x61;
        private const byte PitChannel2Mode0Lobyte_Hibyte = 0b10_11_000_0;   // channel 2, lobyte/hibyte, mode 0, binary
        private const byte Gate2Enable = 0x01, Speaker = 0x02, Out2 = 0x20;
        private const uint CalibrationTicks = PitHz / 100;                  // 10 ms
        private const ulong FallbackHz = 1_000_000_000;

        private static ulong s_bootTsc;
        private static ulong s_hz;

        public static ulong Hz => s_hz;

        public static ulong Read() => CpuNative.ReadTsc();

        public static ulong MicrosecondsSinceBoot => s_hz == 0 ? 0 : (Read() - s_bootTsc) / (s_hz / 1_000_000);

        public static ulong ToMicroseconds(ulong ticks) => s_hz == 0 ? 0 : ticks / (s_hz / 1_000_000);

        public static void Calibrate()
        {
            s_bootTsc = Read();
            ulong hz = MeasureWithPit();
            if (hz != 0) { s_hz = hz; return; }
            hz = FromCpuid();
            s_hz = hz != 0 ? hz : FallbackHz;
        }

        public static void LogFrequency()
        {
            if (s_hz == FallbackHz) Log.Warn("tsc", "no PIT and no CPUID 15H frequency: assuming 1 GHz, timestamps are approximate");
            Log.Info("tsc", $"{s_hz / 1_000_000}.{(s_hz / 1000) % 1000:d3} MHz, invariant={Cpuid.InvariantTsc}");
        }

        public static void SpinMicroseconds(ulong micros)
        {
            ulong end = Read() + micros * (s_hz / 1_000_000);
            while (Read() < end) CpuNative.Pause();
        }

        // One-shot countdown on PIT channel 2, gated by port 0x61 bit 0; OUT2 (port 0x61 bit 5) rises at zero.
        private static ulong MeasureWithPit()
        {
            byte gate = CpuNative.InB(PitGatePort);
            if (gate == 0xFF) return 0;   // floating bus: no PIT/port 0x61 on this machine
            CpuNative.OutB(PitGatePort, (byte)((gate & ~Speaker) & ~Gate2Enable));
            CpuNative.OutB(PitCommand, PitChannel2Mode0Lobyte_Hibyte);
            CpuNative.OutB(PitChannel2Data, unchecked((byte)CalibrationTicks));
            CpuNative.OutB(PitChannel2Data, unchecked((byte)(CalibrationTicks >> 8)));
            CpuNative.OutB(PitGatePort, (byte)((gate & ~Speaker) | Gate2Enable));

            ulong start = Read();
            ulong limit = start + 10_000_000_000UL;   // > 1 s even at 10 GHz: time-out for a dead PIT
            ulong now = start;
            while ((CpuNative.InB(PitGatePort) & Out2) == 0)
            {
                now = Read();
                if (now > limit) { CpuNative.OutB(PitGatePort, gate); return 0; }
            }
            now = Read();
            CpuNative.OutB(PitGatePort, gate);
            return (now - start) * PitHz / CalibrationTicks;
        }

        // CPUID.15H: TSC = crystal × EBX / EAX; ECX = crystal Hz when enumerated (SDM Vol. 2A "CPUID", leaf 15H).
        private static ulong FromCpuid()
        {
            if (Cpuid.Query(0).Eax < 0x15) return 0;
            var leaf = Cpuid.Query(0x15);
            if (leaf.Eax == 0 || leaf.Ebx == 0 || leaf.Ecx == 0) return 0;
            return (ulong)leaf.Ecx * leaf.Ebx / leaf.Eax;
        }
    }
}

using Kernel.Lib;

namespace Kernel.Arch
{
    /// <summary>
    /// The time-stamp counter as the kernel's clock. A first measurement against PIT channel 2 (10 ms)
    /// gives the log its timestamps from the first line; CPUID leaves 15H/16H (<see cref="CpuidClocks"/>) stand
    /// in when there is no PIT. TimerCalibration refines the rate later against the ACPI PM timer.
    /// </summary>
    public static class Tsc
    {
        private const uint EarlyWindowMicroseconds = 10_000;
        private const ulong FallbackHz = 1_000_000_000;

        private static ulong s_bootTsc;
        private static ulong s_hz;
        private static bool s_guessed;

        public static ulong Hz => s_hz;

        public static ulong Read() => CpuNative.ReadTsc();

        public static ulong MicrosecondsSinceBoot => ToMicroseconds(Read() - s_bootTsc);

        /// <summary>A TSC reading as microseconds since boot (0 for readings before it).</summary>
        public static ulong MicrosecondsAt(ulong tsc) => tsc > s_bootTsc ? ToMicroseconds(tsc - s_bootTsc) : 0;

        public static ulong ToMicroseconds(ulong ticks) => s_hz == 0 ? 0 : ticks / (s_hz / 1_000_000);

        public static void Calibrate()
        {
            s_bootTsc = Read();
            if (Pit.MeasureWindow(EarlyWindowMicroseconds, out ulong ticks, out _, sampleApic: false))
                s_hz = ticks * 1_000_000 / EarlyWindowMicroseconds;
            else
                s_hz = CpuidHz(out _);
            s_guessed = s_hz == 0;
            if (s_guessed) s_hz = FallbackHz;
        }

        public static void SetFrequency(ulong hz)
        {
            if (hz == 0) return;
            s_hz = hz;
            s_guessed = false;
        }

        public static void LogFrequency()
        {
            if (s_guessed) Log.Warn("tsc", "no PIT and no CPUID 15H/16H frequency: assuming 1 GHz until the timer calibration");
            Log.Info("tsc", $"{s_hz / 1_000_000}.{(s_hz / 1000) % 1000:d3} MHz, invariant={Cpuid.InvariantTsc}");
        }

        /// <summary>The TSC value <paramref name="micros"/> from now: what every bounded wait compares against.</summary>
        public static ulong DeadlineAfter(ulong micros) => Read() + micros * (s_hz / 1_000_000);

        public static void SpinMicroseconds(ulong micros)
        {
            ulong end = DeadlineAfter(micros);
            while (Read() < end) CpuNative.Pause();
        }

        /// <summary>The TSC's nominal rate per CPUID leaves 15H/16H (0 if they do not say), and the core crystal's (0 if unknown).</summary>
        public static ulong CpuidHz(out ulong crystalHz)
        {
            uint maxLeaf = Cpuid.Query(0).Eax;
            CpuidResult ratio = maxLeaf >= CpuidClocks.TscLeaf ? Cpuid.Query(CpuidClocks.TscLeaf) : default;
            uint baseFrequency = maxLeaf >= CpuidClocks.FrequencyLeaf ? Cpuid.Query(CpuidClocks.FrequencyLeaf).Eax : 0;
            crystalHz = CpuidClocks.CrystalHz(maxLeaf, ratio.Eax, ratio.Ebx, ratio.Ecx, baseFrequency);
            return CpuidClocks.TscHz(maxLeaf, ratio.Eax, ratio.Ebx, ratio.Ecx, baseFrequency);
        }
    }
}

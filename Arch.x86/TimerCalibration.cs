using Kernel.Lib;

namespace Kernel.Arch
{
    /// <summary>
    /// Finds the rates of the TSC and the local APIC timer from the first source this machine has, in this order:
    /// 1. the ACPI PM timer, when the FADT names one and it ticks: a fixed, known rate, and what modern machines keep;
    /// 2. PIT channel 2 (absent on some modern machines: port 0x61 reads 0xFF, or its output never rises within a time-out);
    /// 3. CPUID leaves 15H/16H (<see cref="CpuidClocks"/>): the TSC's nominal rate; the APIC timer's is the crystal's
    ///    when 15H enumerates it, else it is measured against the TSC now that the TSC's rate is known.
    /// With none, the early guess stands and the log says so. CPUID's rates, when it has them, are logged beside the
    /// measured ones as a cross-check. A hypervisor may deschedule the vCPU between two reads of different clocks, which skews a window by
    /// the time lost (under a loaded TCG host, by 20 % and more). So each end of a PM-timer window reads the
    /// three clocks together several times and keeps the tightest try (as Linux's TSC calibration brackets
    /// its reference reads), and the result is the median of three windows.
    /// </summary>
    public static unsafe class TimerCalibration
    {
        private const uint WindowMicroseconds = 20_000;
        private const uint PmWindowMicroseconds = 10_000;
        private const int PmWindows = 3;
        private const int BracketTries = 8;

        private struct ClockReading
        {
            public uint Pm;
            public uint Apic;
            public ulong Tsc;
        }

        public static string Reference { get; private set; } = "none";

        /// <summary>Some reference gave the TSC's rate (otherwise it is the early guess).</summary>
        public static bool Calibrated { get; private set; }

        public static void Run()
        {
            LocalApic.StartFreeRunningTimer();
            ulong tscTicks = 0, apicTicks = 0, micros = 1_000_000;
            ulong cpuidTscHz = Tsc.CpuidHz(out ulong crystalHz);
            if (PmTimer.Present && PmTimer.IsTicking())
            {
                Reference = "ACPI PM timer";
                MeasureWithPmTimer(out tscTicks, out apicTicks, out micros);
            }
            else if (Pit.MeasureWindow(WindowMicroseconds, out tscTicks, out apicTicks))
            {
                Reference = "PIT channel 2";
                micros = WindowMicroseconds;
            }
            else if (cpuidTscHz != 0)
            {
                Reference = crystalHz != 0 ? "CPUID 15H (TSC and crystal)" : "CPUID 15H/16H (TSC), APIC timer against the TSC";
                tscTicks = cpuidTscHz;
                apicTicks = crystalHz != 0 ? crystalHz / LocalApic.TimerDivisor : ApicHzAgainstTsc(cpuidTscHz);
            }
            else
            {
                Reference = "none";
                apicTicks = ApicHzAgainstTsc(Tsc.Hz);   // consistent with the guessed TSC rate, at least
            }
            LocalApic.StopTimer();

            Calibrated = tscTicks != 0;
            if (Calibrated) Tsc.SetFrequency(tscTicks * 1_000_000 / micros);
            LocalApicTimer.SetFrequency(apicTicks * 1_000_000 / micros);
            Log.Info("timer", $"reference {Reference}: TSC {Tsc.Hz / 1000} kHz, local APIC timer {LocalApicTimer.Hz / 1000} kHz (bus clock / 16)");
            if (cpuidTscHz != 0) Log.Info("timer", $"CPUID 15H/16H says TSC {cpuidTscHz / 1000} kHz, crystal {crystalHz / 1000} kHz");
            if (!Calibrated) Log.Warn("timer", "no PM timer, no PIT, no CPUID 15H/16H frequency: times and ticks follow a guessed TSC rate");
        }

        // APIC timer ticks per second, counted over WindowMicroseconds of a TSC whose rate is tscHz.
        private static ulong ApicHzAgainstTsc(ulong tscHz)
        {
            ulong window = tscHz / 1_000_000 * WindowMicroseconds;
            ulong start = Tsc.Read();
            uint startApic = LocalApic.TimerCurrentCount;
            while (Tsc.Read() - start < window) CpuNative.Pause();
            uint endApic = LocalApic.TimerCurrentCount;
            return (ulong)(startApic - endApic) * 1_000_000 / WindowMicroseconds;   // counts down
        }

        private static void MeasureWithPmTimer(out ulong tscTicks, out ulong apicTicks, out ulong micros)
        {
            var tsc = stackalloc ulong[PmWindows];
            var apic = stackalloc ulong[PmWindows];
            for (int i = 0; i < PmWindows; i++) MeasurePmWindow(out tsc[i], out apic[i]);
            // Rates per PmWindowMicroseconds: the windows are scaled to that length before the median is taken.
            tscTicks = Median3(tsc);
            apicTicks = Median3(apic);
            micros = PmWindowMicroseconds;
        }

        // One window of about PmWindowMicroseconds; the counts are scaled to exactly that long.
        private static void MeasurePmWindow(out ulong tscTicks, out ulong apicTicks)
        {
            uint windowTicks = (uint)((ulong)PmTimer.Hz * PmWindowMicroseconds / 1_000_000);
            ClockReading start = ReadTogether();
            while (PmTimer.Elapsed(start.Pm, PmTimer.Read()) < windowTicks) { }
            ClockReading end = ReadTogether();
            ulong elapsed = PmTimer.Elapsed(start.Pm, end.Pm);
            tscTicks = (end.Tsc - start.Tsc) * windowTicks / elapsed;
            apicTicks = (ulong)(start.Apic - end.Apic) * windowTicks / elapsed;   // counts down
        }

        private static ClockReading ReadTogether()
        {
            ClockReading best = default;
            ulong narrowest = ulong.MaxValue;
            for (int i = 0; i < BracketTries; i++)
            {
                ulong before = Tsc.Read();
                uint pm = PmTimer.Read();
                uint apic = LocalApic.TimerCurrentCount;
                ulong after = Tsc.Read();
                if (after - before >= narrowest) continue;
                narrowest = after - before;
                best = new ClockReading { Pm = pm, Apic = apic, Tsc = before + narrowest / 2 };
            }
            return best;
        }

        private static ulong Median3(ulong* values)
        {
            ulong a = values[0], b = values[1], c = values[2];
            return a > b ? (b > c ? b : a > c ? c : a) : (a > c ? a : b > c ? c : b);
        }
    }
}

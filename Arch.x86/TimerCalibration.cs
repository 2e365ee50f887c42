using Kernel.Diagnostics;

namespace Kernel.Arch
{
    /// <summary>
    /// Measures the TSC and the local APIC timer against one reference over the same window: the ACPI
    /// PM timer when the FADT provides one (modern machines may have no PIT), else PIT channel 2.
    /// A hypervisor may deschedule the vCPU between two reads of different clocks, which skews a window by
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

        public static void Run()
        {
            LocalApic.StartFreeRunningTimer();
            ulong tscTicks, apicTicks, micros;
            if (PmTimer.Present && PmTimer.IsTicking())
            {
                Reference = "ACPI PM timer";
                MeasureWithPmTimer(out tscTicks, out apicTicks, out micros);
            }
            else
            {
                Reference = "PIT channel 2";
                if (!Pit.MeasureWindow(WindowMicroseconds, out tscTicks, out apicTicks)) Reference = "none (no PM timer, no PIT)";
                micros = WindowMicroseconds;
            }
            LocalApic.StopTimer();

            if (tscTicks != 0) Tsc.SetFrequency(tscTicks * 1_000_000 / micros);
            LocalApicTimer.SetFrequency(apicTicks * 1_000_000 / micros);
            Log.Info("timer", $"reference {Reference}: TSC {Tsc.Hz / 1000} kHz, local APIC timer {LocalApicTimer.Hz / 1000} kHz (bus clock / 16)");
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

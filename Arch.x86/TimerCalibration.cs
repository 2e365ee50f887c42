using Kernel.Diagnostics;

namespace Kernel.Arch
{
    /// <summary>
    /// Measures the TSC and the local APIC timer against one reference over the same window: the ACPI
    /// PM timer when the FADT provides one (modern machines may have no PIT), else PIT channel 2.
    /// </summary>
    public static class TimerCalibration
    {
        private const uint WindowMicroseconds = 20_000;

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
            uint windowTicks = (uint)((ulong)PmTimer.Hz * WindowMicroseconds / 1_000_000);
            uint start = PmTimer.Read();
            uint startApic = LocalApic.TimerCurrentCount;
            ulong startTsc = Tsc.Read();
            uint elapsed;
            do elapsed = PmTimer.Elapsed(start, PmTimer.Read()); while (elapsed < windowTicks);
            ulong endTsc = Tsc.Read();
            uint endApic = LocalApic.TimerCurrentCount;
            tscTicks = endTsc - startTsc;
            apicTicks = startApic - endApic;        // counts down
            micros = (ulong)elapsed * 1_000_000 / PmTimer.Hz;
        }
    }
}

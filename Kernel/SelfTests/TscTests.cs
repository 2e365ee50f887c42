using Kernel.Arch;
using Kernel.Testing;

namespace Kernel.SelfTests
{
    [SelfTestSuite("tsc")]
    public static class TscTests
    {
        // Bochs' TSC counts its instructions-per-second setting (100 MHz in the boot tests), hardware's runs at 1–5 GHz.
        [SelfTest]
        public static void FrequencyIsPlausible() =>
            Assert.True(Tsc.Hz > 10_000_000 && Tsc.Hz < 20_000_000_000, "calibrated TSC between 10 MHz and 20 GHz");

        [SelfTest]
        public static void CalibratedAgainstAReferenceClock()
        {
            Assert.True(TimerCalibration.Calibrated, "the PM timer, the PIT or CPUID 15H/16H gave the TSC's rate");
            Assert.True(LocalApicTimer.Hz != 0, "the local APIC timer's rate is known");
            SelfTestRunner.Note(TimerCalibration.Reference);
        }

        [SelfTest]
        public static void ClockAdvances()
        {
            ulong start = Tsc.MicrosecondsSinceBoot;
            Tsc.SpinMicroseconds(2000);
            ulong elapsed = Tsc.MicrosecondsSinceBoot - start;
            Assert.True(elapsed >= 2000, "a 2 ms spin takes at least 2 ms by the same clock");
        }
    }
}

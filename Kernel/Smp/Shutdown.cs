using Kernel.Arch;
using Kernel.Lib;

namespace Kernel.Smp
{
    /// <summary>
    /// Power off and reboot, the kernel's half: stop every other CPU first, as Linux's native_stop_other_cpus does
    /// before machine_power_off / machine_restart, then let Arch.x86/Power.cs try its methods. The chipset acts on the
    /// whole platform whichever CPU writes PM1_CNT or a reset register, so stopping is not needed for the write to
    /// work, but it leaves no CPU halfway through device I/O or printing over the last lines. The request travels as a
    /// cross-CPU call rather than a stop IPI because a call also runs on a CPU waiting for the big kernel lock with
    /// interrupts off, which the caller may hold. A CPU that does not stop in time is reported and left running.
    /// </summary>
    public static unsafe class Shutdown
    {
        private const ulong StopTimeoutMicros = 1_000_000;

        public static void PowerOff()
        {
            StopOtherCpus("power off");
            Power.PowerOff();
        }

        public static void Reboot()
        {
            StopOtherCpus("reboot");
            Power.Reboot();
        }

        // Interrupts stay off from here: this thread is the last one running.
        private static void StopOtherCpus(string what)
        {
            CpuNative.DisableInterrupts();
            int others = Cpus.OnlineCount - 1;
            if (others <= 0) return;
            CrossCpuCall.CallOnAll(&Park, null, includeSelf: false, wait: false);
            ulong deadline = Tsc.DeadlineAfter(StopTimeoutMicros);
            while (Cpus.OnlineCount > 1 && Tsc.Read() < deadline) CpuNative.Pause();
            int stopped = others - (Cpus.OnlineCount - 1);
            if (stopped == others) Log.Info("power", $"{what}: {stopped} of {others} other CPUs stopped");
            else Log.Warn("power", $"{what}: only {stopped} of {others} other CPUs stopped within 1 s; going on");
        }

        private static void Park(void* unused)
        {
            Ipi.LeaveOnlineSet();
            CpuNative.HaltForever();
        }
    }
}

namespace Kernel.Arch
{
    /// <summary>
    /// Each CPU's periodic tick from its local APIC timer (SDM Vol. 3A §11.5.4 "APIC Timer"), at
    /// TicksPerSecond once TimerCalibration has measured the timer's rate. The handler only updates
    /// this CPU's own counters, so it does not take the big kernel lock: N CPUs × 100 Hz of lock
    /// hand-overs for nothing shared is the overhead MINIX measured at up to 45 % in VMs, and under
    /// TCG on an overcommitted host it starves everything else. A tick that has shared work to do (the
    /// scheduler's, later) enters the lock for that work.
    /// </summary>
    public static unsafe class LocalApicTimer
    {
        public const uint TicksPerSecond = 100;

        private static ulong s_hz;

        public static ulong Hz => s_hz;

        public static void SetFrequency(ulong hz) => s_hz = hz;

        /// <summary>Starts the executing CPU's periodic tick.</summary>
        public static void StartThisCpu()
        {
            ulong count = s_hz / TicksPerSecond;
            if (count == 0 || count > uint.MaxValue) return;   // not calibrated: no tick rather than a wrong one
            LocalApic.StartPeriodicTimer((uint)count);
        }

        public static void InstallHandler() => Interrupts.Register(InterruptVectors.Timer, &OnTick, takesBigKernelLock: false);

        private static void OnTick(TrapFrame* frame) => PerCpu.Current->TimerTicks++;
    }
}

namespace Kernel.Arch
{
    /// <summary>
    /// Each CPU's periodic tick from its local APIC timer (SDM Vol. 3A §11.5.4 "APIC Timer"), at
    /// TicksPerSecond once TimerCalibration has measured the timer's rate. The handler only updates
    /// this CPU's own counters, so it does not take the big kernel lock: N CPUs × 100 Hz of lock
    /// hand-overs for nothing shared is the overhead MINIX measured at up to 45 % in VMs, and under
    /// TCG on an overcommitted host it starves everything else. A tick that has shared work to do (the
    /// scheduler's) enters the lock for that work, on the way out of the interrupt (Kernel/Proc/Scheduler.cs).
    /// An idle CPU stops its tick altogether, or arms a one-shot for the kernel alarm (tickless idle).
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

        /// <summary>One interrupt at TSC <paramref name="deadline"/> (at once if it has passed), instead of the periodic tick.</summary>
        public static void ArmOneShotAt(ulong deadline)
        {
            ulong now = Tsc.Read();
            ulong micros = deadline > now ? Tsc.ToMicroseconds(deadline - now) : 0;
            ulong count = micros * (s_hz / 1000) / 1000 + 1;
            LocalApic.StartOneShotTimer(count > uint.MaxValue ? uint.MaxValue : (uint)count);
        }

        public static void InstallHandler() => Interrupts.Register(InterruptVectors.Timer, &OnTick, takesBigKernelLock: false, endOfInterruptFirst: true);

        private static void OnTick(TrapFrame* frame)
        {
            PerCpu* cpu = PerCpu.Current;
            cpu->TimerTicks++;
            if (KernelEntry.Tick != null) KernelEntry.Tick(cpu);
        }
    }
}

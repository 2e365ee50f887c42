using Kernel.Arch;
using Kernel.Sync;
using Kernel.Lib;

namespace Kernel.Smp
{
    /// <summary>The named steps of taking a CPU down or bringing it up; each has a rollback.</summary>
    public enum HotplugStep
    {
        None = 0,
        // Down, in order
        DrainCalls,            // finish what other CPUs asked of it
        MigrateProcesses,      // its processes move to other CPUs and it takes no new ones
        RetargetInterrupts,    // I/O APIC entries aimed at it go to the boot CPU
        StopTimer,             // its tick stops
        TakeOffline,           // under stop_machine: it leaves the online set, finishes what it was doing, reports dead
        Park,                  // INIT puts it in wait-for-SIPI
        SwitchToUp,            // one CPU left: lock prefixes off
        // Up, in order
        SwitchToSmp,           // a second CPU is coming: lock prefixes back, verified
        Start,                 // INIT-SIPI-SIPI, wait for it to come online
    }

    public enum HotplugResult
    {
        Done,
        NoSuchCpu,
        BootCpu,               // the boot CPU owns the legacy machinery (PIT, PIC, firmware paths): never taken down
        LastCpu,
        AlreadyOffline,
        AlreadyOnline,
        StepFailed,            // a step failed (or was made to fail); everything was rolled back
    }

    /// <summary>
    /// Logical CPU hot-plug as a state machine: CpuDown(n) and CpuUp(n) walk their named steps in order, and
    /// when one fails they undo the ones already done, newest first, so the CPU and the kernel end exactly as
    /// they were (alternatives mode included). FailOnce(step), or the kernel option `hotplug.fail=<step>`, makes
    /// a step fail once, as Linux's cpuN/hotplug/fail does, so every rollback path can be tested.
    /// Runs on the boot CPU's kernel thread, not from interrupt handlers: steps wait for other CPUs. One failure cannot
    /// be rolled back: a CPU that left the online set and never reported dead may still run, so it is kept out for good
    /// (model: Tests/Models/HotplugGate.pml).
    /// </summary>
    public static unsafe class CpuHotplug
    {
        private const int MaxSavedRoutes = 256;

        private static HotplugStep s_failOnce;
        private static SpinLock s_lock;
        private static SavedRoutes s_savedRoutes;
        private static int s_savedRouteCount;

        // (gsi << 32 | previous destination) for entries retargeted away; in the image, so taking a CPU down allocates nothing
        private struct SavedRoutes
        {
            public fixed ulong Entries[MaxSavedRoutes];
        }

        public static ulong LastDownMicros { get; private set; }
        public static ulong LastUpMicros { get; private set; }

        public static void FailOnce(HotplugStep step) => s_failOnce = step;

        public static HotplugResult CpuDown(int index)
        {
            KernelCpu* cpu = Cpus.Get(index);
            if (cpu == null) return HotplugResult.NoSuchCpu;
            if (index == 0) return HotplugResult.BootCpu;
            if (cpu->CpuState != CpuState.Online) return HotplugResult.AlreadyOffline;
            if (Cpus.OnlineCount == 1) return HotplugResult.LastCpu;

            s_lock.Acquire();
            ulong start = Tsc.Read();
            HotplugStep done = HotplugStep.None;
            HotplugResult result = HotplugResult.Done;
            for (HotplugStep step = HotplugStep.DrainCalls; step <= HotplugStep.SwitchToUp; step++)
            {
                if (!RunDownStep(step, cpu))
                {
                    result = HotplugResult.StepFailed;
                    if (step == HotplugStep.TakeOffline && cpu->CpuState == CpuState.Parked)
                    {
                        // It left the online set but never reported dead: it may still run, so nothing may go back to
                        // it (processes, interrupts) and it gets no INIT. It stays out, as a straggler.
                        Log.Warn("hotplug", $"CPU {index}: left the online set but never reported dead: kept offline, not rolled back, never restarted");
                        break;
                    }
                    Log.Warn("hotplug", $"CPU {index}: step {StepName(step)} failed, rolling back");
                    for (HotplugStep undo = MayHaveActed(step) ? step : done; undo >= HotplugStep.DrainCalls; undo--) UndoDownStep(undo, cpu);
                    break;
                }
                done = step;
            }
            LastDownMicros = Tsc.ToMicroseconds(Tsc.Read() - start);
            s_lock.Release();
            return result;
        }

        public static HotplugResult CpuUp(int index)
        {
            KernelCpu* cpu = Cpus.Get(index);
            if (cpu == null) return HotplugResult.NoSuchCpu;
            if (cpu->CpuState == CpuState.Online) return HotplugResult.AlreadyOnline;

            s_lock.Acquire();
            ulong start = Tsc.Read();
            bool wasUp = Alternatives.Mode == AlternativesMode.Up;
            HotplugResult result = HotplugResult.Done;
            if (!Attempt(HotplugStep.SwitchToSmp) || !UpSmpSwitch.ToSmp())
                result = HotplugResult.StepFailed;
            else if (!Attempt(HotplugStep.Start) || !SmpBoot.Restart(index))
            {
                if (cpu->CpuState != CpuState.Parked) Park(cpu);   // a CPU that never arrived is halted where it is
                if (wasUp) UpSmpSwitch.ToUp();
                result = HotplugResult.StepFailed;
            }
            if (result == HotplugResult.StepFailed) Log.Warn("hotplug", $"CPU {index}: bring-up failed, rolled back");
            else WaitUntilAdmitted(index);
            LastUpMicros = Tsc.ToMicroseconds(Tsc.Read() - start);
            s_lock.Release();
            return result;
        }

        public static string StepName(HotplugStep step) => step switch
        {
            HotplugStep.DrainCalls => "drain-calls",
            HotplugStep.MigrateProcesses => "migrate-processes",
            HotplugStep.RetargetInterrupts => "retarget-interrupts",
            HotplugStep.StopTimer => "stop-timer",
            HotplugStep.TakeOffline => "take-offline",
            HotplugStep.Park => "park",
            HotplugStep.SwitchToUp => "switch-to-up",
            HotplugStep.SwitchToSmp => "switch-to-smp",
            HotplugStep.Start => "start",
            _ => "none",
        };

        public static HotplugStep ParseStep(string name)
        {
            for (HotplugStep step = HotplugStep.DrainCalls; step <= HotplugStep.Start; step++)
                if (StepName(step) == name) return step;
            return HotplugStep.None;
        }

        // A step that was told to fail fails once, before doing anything.
        private static bool Attempt(HotplugStep step)
        {
            if (s_failOnce != step) return true;
            s_failOnce = HotplugStep.None;
            return false;
        }

        private static bool RunDownStep(HotplugStep step, KernelCpu* cpu)
        {
            if (!Attempt(step)) return false;
            switch (step)
            {
                case HotplugStep.DrainCalls:
                    return CrossCpuCall.CallOn((int)cpu->Index, &Nothing, null);   // FIFO per sender: everything before it ran
                case HotplugStep.MigrateProcesses:
                    if (Proc.Scheduler.Evacuate((int)cpu->Index, DeadTimeoutMicros)) return true;
                    Proc.Scheduler.Readmit((int)cpu->Index);   // a failing step undoes itself; the loop undoes the earlier ones
                    return false;
                case HotplugStep.RetargetInterrupts:
                    RetargetInterruptsAway(cpu->ApicId);
                    return true;
                case HotplugStep.StopTimer:
                    return CrossCpuCall.CallOn((int)cpu->Index, &StopOwnTimer, null);
                case HotplugStep.TakeOffline:
                    StopMachine.Run(&LeaveOnlineSet, null, CpuSet.Of((int)cpu->Index));
                    return cpu->CpuState == CpuState.Parked && WaitUntilDead(cpu);
                case HotplugStep.Park:
                    return Park(cpu);
                case HotplugStep.SwitchToUp:
                    return Cpus.OnlineCount != 1 || Alternatives.Mode != AlternativesMode.Smp || UpSmpSwitch.ToUp();
                default:
                    return false;
            }
        }

        // Whether a step that failed may still have done its work, so the rollback must start with it, not the step
        // before: a timer stop that timed out may have run late; Park and SwitchToUp come after the CPU was taken
        // offline, whose undo restarts it. A TakeOffline that failed with the CPU out of the online set never gets here
        // (the straggler), and one that failed with it still online did nothing; MigrateProcesses undoes itself;
        // DrainCalls and RetargetInterrupts change nothing when they fail.
        private static bool MayHaveActed(HotplugStep step) =>
            step is HotplugStep.StopTimer or HotplugStep.Park or HotplugStep.SwitchToUp;

        private static void UndoDownStep(HotplugStep step, KernelCpu* cpu)
        {
            switch (step)
            {
                case HotplugStep.MigrateProcesses:
                    Proc.Scheduler.Readmit((int)cpu->Index);
                    break;
                case HotplugStep.RetargetInterrupts:
                    RestoreRetargetedInterrupts();
                    break;
                case HotplugStep.StopTimer:
                    CrossCpuCall.CallOn((int)cpu->Index, &StartOwnTimer, null);
                    break;
                case HotplugStep.TakeOffline:
                    // The CPU already parked itself: bring it back through the normal start path.
                    if (!UpSmpSwitch.ToSmp() || !SmpBoot.Restart((int)cpu->Index))
                        Panic.Halt("hotplug: rollback could not restart the CPU");
                    break;
                case HotplugStep.Park:
                    break;   // undone with TakeOffline's restart
                case HotplugStep.SwitchToUp:
                    UpSmpSwitch.ToSmp();
                    break;
            }
        }

        private static void Nothing(void* unused) { }

        private static void StopOwnTimer(void* unused) => LocalApic.StopTimer();

        private static void StartOwnTimer(void* unused) => LocalApicTimer.StartThisCpu();

        // Runs on the departing CPU while stop_machine holds every other: off the online set. It returns: the CPU finishes
        // the stop_machine round, its idle loop sees it parked and returns to SmpBoot.ApEntry, which reports it dead and
        // halts (WaitUntilDead waits for that report before anyone sends INIT).
        private static void LeaveOnlineSet(void* unused)
        {
            Cpus.MarkParked(KernelCpu.Current);
        }

        private const ulong HardwareDeadTimeoutMicros = 1_000_000;
        private const ulong VirtualDeadTimeoutMicros = 10_000_000;   // under load a vCPU can wait long for the host

        private static ulong DeadTimeoutMicros => Cpuid.UnderHypervisor ? VirtualDeadTimeoutMicros : HardwareDeadTimeoutMicros;

        // The departing CPU reports itself dead from its idle loop, after its last request completed: only then is INIT safe.
        private static bool WaitUntilDead(KernelCpu* cpu)
        {
            ulong deadline = Tsc.DeadlineAfter(DeadTimeoutMicros);
            while (Atomic.Read(ref cpu->ReportedDead) == 0)
            {
                if (Tsc.Read() > deadline)
                {
                    Log.Warn("hotplug", $"CPU {cpu->Index} left the online set but did not report dead within {DeadTimeoutMicros / 1000} ms (running '{Proc.Scheduler.RunningOn((int)cpu->Index)?.Name}', calls served: {cpu->CallsServed})");
                    return false;
                }
                CpuNative.Pause();
            }
            return true;
        }

        // Online is not yet schedulable: the AP admits itself once it has the big kernel lock (Scheduler.RunIdleThisCpu).
        // Waiting for that makes "up" mean what callers expect: processes and kernel threads can be placed there.
        private static void WaitUntilAdmitted(int index)
        {
            ulong deadline = Tsc.DeadlineAfter(DeadTimeoutMicros);
            while (!Proc.Scheduler.IsUsable(index))
            {
                if (Tsc.Read() > deadline)
                {
                    Log.Warn("hotplug", $"CPU {index} came online but did not take processes within {DeadTimeoutMicros / 1000} ms");
                    return;
                }
                CpuNative.Pause();
            }
        }

        // INIT sends a CPU to wait-for-SIPI from wherever it is (SDM Vol. 3A §9.4.1).
        private static bool Park(KernelCpu* cpu)
        {
            Atomic.Write(ref cpu->State, (int)CpuState.Parked);
            return LocalApic.SendIpi(cpu->ApicId, IpiDelivery.Init, 0);
        }

        private static void RetargetInterruptsAway(uint apicId)
        {
            s_savedRouteCount = 0;
            uint boot = Cpus.Get(0)->ApicId;
            IoApic[] all = IoApic.All;
            for (int i = 0; i < all.Length; i++)
                for (uint gsi = all[i].GsiBase; gsi < all[i].GsiBase + all[i].EntryCount && s_savedRouteCount < MaxSavedRoutes; gsi++)
                    if (all[i].Destination(gsi) == apicId)
                    {
                        s_savedRoutes.Entries[s_savedRouteCount++] = ((ulong)gsi << 32) | apicId;
                        all[i].SetDestination(gsi, boot);
                    }
        }

        private static void RestoreRetargetedInterrupts()
        {
            for (int i = 0; i < s_savedRouteCount; i++)
            {
                uint gsi = (uint)(s_savedRoutes.Entries[i] >> 32);
                IoApic.ForGsi(gsi)?.SetDestination(gsi, (uint)s_savedRoutes.Entries[i]);
            }
            s_savedRouteCount = 0;
        }
    }
}

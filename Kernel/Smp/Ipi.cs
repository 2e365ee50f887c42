using Kernel.Arch;

namespace Kernel.Smp
{
    public enum IpiKind
    {
        Reschedule,      // look at the run queue: the scheduler switches on the way out of the interrupt
        CallFunction,    // run the requests in this CPU's call inbox (CrossCpuCall)
        Stop,            // park: interrupts off, timer stopped, halted until INIT-SIPI-SIPI
    }

    /// <summary>
    /// Inter-processor interrupts by kind, to one CPU, a set, or everyone (the ICR's destination
    /// shorthands, SDM Vol. 3A §11.6.1), plus NMIs, which get through even with interrupts off.
    /// </summary>
    public static unsafe class Ipi
    {
        public static void InstallHandlers()
        {
            Interrupts.Register(InterruptVectors.Reschedule, &OnReschedule, takesBigKernelLock: false);
            Interrupts.Register(InterruptVectors.Stop, &OnStop, takesBigKernelLock: false);
        }

        public static byte VectorOf(IpiKind kind) => kind switch
        {
            IpiKind.Reschedule => InterruptVectors.Reschedule,
            IpiKind.CallFunction => InterruptVectors.CrossCpuCall,
            _ => InterruptVectors.Stop,
        };

        public static bool Send(int cpu, IpiKind kind)
        {
            KernelCpu* target = Cpus.Get(cpu);
            return target != null && LocalApic.SendIpi(target->ApicId, IpiDelivery.Fixed, VectorOf(kind));
        }

        public static void Send(CpuSet targets, IpiKind kind)
        {
            for (int cpu = 0; cpu < Cpus.Count; cpu++)
                if (targets.Contains(cpu)) Send(cpu, kind);
        }

        public static bool SendToAll(IpiKind kind, bool includeSelf) =>
            LocalApic.SendIpi(0, IpiDelivery.Fixed, VectorOf(kind), includeSelf ? IpiShorthand.AllIncludingSelf : IpiShorthand.AllExcludingSelf);

        public static bool SendNmiToAllButSelf() => LocalApic.SendIpi(0, IpiDelivery.Nmi, 0, IpiShorthand.AllExcludingSelf);

        private static void OnReschedule(TrapFrame* frame)
        {
            KernelCpu* cpu = KernelCpu.Current;
            cpu->RescheduleRequests++;
            cpu->Scheduler.NeedResched = 1;
        }

        private static void OnStop(TrapFrame* frame)
        {
            LeaveOnlineSet();
            LocalApic.EndOfInterrupt();
            Atomic.Write(ref KernelCpu.Current->ReportedDead, 1);   // from here it runs nothing: INIT may restart it
            CpuNative.HaltForever();
        }

        /// <summary>
        /// The first half of parking this CPU for good (until INIT-SIPI-SIPI): its tick stops and it leaves the
        /// online set, so no one waits on it. The caller halts next.
        /// </summary>
        public static void LeaveOnlineSet()
        {
            LocalApic.StopTimer();
            Cpus.MarkParked(KernelCpu.Current);
        }
    }
}

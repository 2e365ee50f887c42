using Kernel.Arch;
using Kernel.Smp;
using Kernel.Sync;

namespace Kernel.Proc
{
    /// <summary>
    /// The kernel's one alarm (MINIX's sys_setalarm), owned by the clock server, which multiplexes everyone's
    /// sleeps onto it: at the deadline its owner gets a notification from the kernel. Every CPU's interrupt exit
    /// checks it, so a ticking CPU fires it within a tick; when all are idle, the timekeeper CPU sleeps with a
    /// one-shot timer set for exactly this deadline (Scheduler's idle loop).
    /// </summary>
    public static unsafe class Alarm
    {
        private static ulong s_deadline;   // TSC; 0 = not armed
        private static int s_owner = Endpoint.None;

        public static bool Armed => Atomic.Read(ref s_deadline) != 0;

        public static ulong Deadline => Atomic.Read(ref s_deadline);

        /// <summary>
        /// Arms (or, with 0, disarms) the alarm at TSC <paramref name="deadline"/>. The first process to call this owns
        /// the alarm for good (the clock server, started at boot); anyone else is refused.
        /// </summary>
        [ProcessApi("clock")]
        public static bool Set(ulong deadline)
        {
            BigKernelLock.Enter();
            int caller = Scheduler.CurrentLocked.Endpoint;
            if (s_owner == Endpoint.None) s_owner = caller;
            if (s_owner != caller)
            {
                BigKernelLock.Exit();
                return false;
            }
            ulong previous = s_deadline;
            Atomic.Write(ref s_deadline, deadline);
            bool earlier = deadline != 0 && (previous == 0 || deadline < previous);
            if (earlier && KernelCpu.Current->Index != Scheduler.TimekeeperCpu && Scheduler.IsIdle(Scheduler.TimekeeperCpu))
                Ipi.Send(Scheduler.TimekeeperCpu, IpiKind.Reschedule);   // it re-arms its one-shot for the new deadline
            Scheduler.LeaveKernel();
            BigKernelLock.Exit();
            return true;
        }

        internal static bool Due()
        {
            ulong deadline = Atomic.Read(ref s_deadline);
            return deadline != 0 && Tsc.Read() >= deadline;
        }

        /// <summary>From an interrupt exit: notify the owner once, whichever CPU sees the deadline pass first.</summary>
        internal static void Fire()
        {
            BigKernelLock.Enter();
            if (Due())
            {
                Atomic.Write(ref s_deadline, 0);
                Ipc.NotifyFromKernel(s_owner);
            }
            BigKernelLock.Exit();
        }
    }
}

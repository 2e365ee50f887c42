using Kernel.Arch;
using Kernel.Sync;

namespace Kernel.Smp
{
    /// <summary>
    /// Work an idle AP picks up in its idle loop and runs with interrupts on, like a kernel thread: the load
    /// the hot-plug torture runs on the other CPUs while it takes one down. Because interrupts stay on, the
    /// CPUs running it keep answering calls and stop_machine. The work must return soon after its CPU leaves
    /// the online set. It is kernel work, not a process: it may share kernel state and make cross-CPU calls, which
    /// processes may not (a call's inbox slot belongs to the sending CPU, and a process can move). The idle thread
    /// runs it only while no process wants the CPU (Kernel/Proc/Scheduler.cs).
    /// </summary>
    public static unsafe class IdleWork
    {
        /// <summary>Hands <paramref name="work"/> to an idle online AP and wakes it.</summary>
        public static bool Start(int cpu, delegate*<void> work)
        {
            KernelCpu* target = Cpus.Get(cpu);
            if (target == null || cpu == 0 || target->CpuState != CpuState.Online) return false;
            Atomic.Write(ref target->IdleWork, (ulong)work);
            return Ipi.Send(cpu, IpiKind.Reschedule);
        }

        internal static bool Pending(KernelCpu* cpu) => Atomic.Read(ref cpu->IdleWork) != 0;

        internal static void RunIfAny(KernelCpu* cpu)
        {
            ulong work = Atomic.Read(ref cpu->IdleWork);
            if (work == 0) return;
            Atomic.Write(ref cpu->IdleWork, 0);
            ((delegate*<void>)work)();
        }
    }
}

using System.Threading;
using Kernel.Arch;
using Kernel.Sync;

namespace Kernel.Smp
{
    /// <summary>
    /// Runs a function on another CPU and waits for it: the caller fills the target's mailbox in its
    /// PerCpu block, sends InterruptVectors.CrossCpuCall, and waits (bounded) until the target reports
    /// the request's sequence number done. One caller at a time; nothing is allocated.
    /// </summary>
    public static unsafe class CrossCpuCall
    {
        private const ulong TimeoutMicros = 2_000_000;

        private static SpinLock s_callers;

        public static void InstallHandler() => Interrupts.Register(InterruptVectors.CrossCpuCall, &OnRequest);

        /// <summary>Runs fn(argument) on CPU <paramref name="index"/>; false if it is not online or did not finish in time.</summary>
        public static bool CallOn(int index, delegate*<void*, void> fn, void* argument)
        {
            PerCpu* target = Cpus.Get(index);
            if (target == null || target->CpuState != CpuState.Online) return false;
            if (target == PerCpu.Current)
            {
                fn(argument);
                return true;
            }

            s_callers.Acquire();
            target->CallFunction = (ulong)fn;
            target->CallArgument = (ulong)argument;
            int sequence = target->CallRequested + 1;
            Volatile.Write(ref target->CallRequested, sequence);
            bool done = LocalApic.SendIpi(target->ApicId, IpiDelivery.Fixed, InterruptVectors.CrossCpuCall);
            ulong deadline = Tsc.Read() + TimeoutMicros * (Tsc.Hz / 1_000_000);
            while (done && Volatile.Read(ref target->CallCompleted) != sequence)
            {
                if (Tsc.Read() > deadline) done = false;
                CpuNative.Pause();
            }
            s_callers.Release();
            return done;
        }

        private static void OnRequest(TrapFrame* frame)
        {
            PerCpu* cpu = PerCpu.Current;
            int sequence = Volatile.Read(ref cpu->CallRequested);
            if (sequence == cpu->CallCompleted) return;
            ((delegate*<void*, void>)cpu->CallFunction)((void*)cpu->CallArgument);
            Volatile.Write(ref cpu->CallCompleted, sequence);
        }
    }
}

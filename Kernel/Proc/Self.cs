using Kernel.Arch;
using Kernel.Smp;

namespace Kernel.Proc
{
    /// <summary>
    /// What a process may do about itself without asking the system task: give up its CPU, choose the CPU it runs on,
    /// spin, collect its heap and read its heap's numbers. Each acts on the caller alone, so it is the process API;
    /// moving another process stays the kernel's (Scheduler.SetAffinity takes any endpoint).
    /// </summary>
    [ProcessApi]
    public static class Self
    {
        /// <summary>The caller's own endpoint.</summary>
        public static int OwnEndpoint => Scheduler.Current.Endpoint;

        /// <summary>Gives up the rest of the quantum to processes of the same priority.</summary>
        public static void Yield() => Scheduler.Yield();

        /// <summary>Restricts the caller to <paramref name="cpu"/>; it runs there when this returns.</summary>
        public static IpcStatus RunOnlyOn(int cpu) => Scheduler.SetAffinity(Scheduler.Current.Endpoint, CpuSet.Of(cpu));

        /// <summary>The spin-wait hint (PAUSE): a busy loop that burns only the caller's own quantum.</summary>
        public static void Pause() => CpuNative.Pause();

        /// <summary>Busy for <paramref name="micros"/> microseconds, on the CPU, without giving it up.</summary>
        public static void SpinMicroseconds(ulong micros) => Tsc.SpinMicroseconds(micros);

        /// <summary>Collects the caller's own heap now; only the caller waits (Kernel/Memory/ProcessMemory.cs).</summary>
        public static unsafe void CollectGarbage()
        {
            Process self = Scheduler.Current;
            if (self.HasOwnHeap) self.MemoryBlock->Collect();
        }

        /// <summary>The caller's own heap, as `ps` shows it.</summary>
        public static HeapInfo Heap() => Snapshots.HeapOf(Scheduler.Current);
    }
}

using Kernel.Arch;
using Kernel.Memory;
using Kernel.Smp;

namespace Kernel.Proc
{
    /// <summary>
    /// The process table: Endpoint.Slots slots, sized at boot from the CPU count, each a Process object made once
    /// and reused, with its kernel stack (mapped above a guard page, Paging.MapStack) allocated the first time the
    /// slot is used and kept: the kernel heap never frees, so nothing per process may be allocated per spawn. Slot 0
    /// is the kernel task — the boot CPU's kmain thread, which runs the self-tests and the kernel's own event loop.
    /// All changes happen under the big kernel lock.
    /// </summary>
    public static unsafe class ProcessTable
    {
        public const int KernelTaskSlot = 0;
        public const ulong StackPages = 8;
        private const ulong StackCanary = 0x5AFE_57AC_CA4A_121EUL;   // at the stack's lowest word: checked at every switch away

        // The table's size: the 64 slots it had before it grew with the CPUs (kernel task, servers, shell, and the
        // tests and benchmarks that start a fixed number of processes), plus 4 per CPU this boot can have. The
        // heaviest self-tests start 2 per online CPU and one more; 4 leaves as many again for everything else. A slot
        // costs a Process, Slots bits of pending notifications (quadratic: 2 MiB at 1024 CPUs) and, once used, a
        // 32 KiB stack; Claim's round robin uses every slot in time.
        private const int BaseSlots = 64;
        private const int SlotsPerCpu = 4;

        private static Process[] s_slots;
        private static int s_nextSlot = KernelTaskSlot;

        /// <summary>Sizes the table (and with it every endpoint) from Cpus.Capacity and makes its processes.</summary>
        public static void Initialize()
        {
            Endpoint.SizeTable(BaseSlots + SlotsPerCpu * Cpus.Capacity);
            s_slots = new Process[Endpoint.Slots];
            for (int slot = 0; slot < Endpoint.Slots; slot++) s_slots[slot] = new Process(slot, isIdle: false);
        }

        public static Process KernelTask => s_slots[KernelTaskSlot];

        /// <summary>The process in a slot, whatever its state (null for a slot number out of range).</summary>
        public static Process At(int slot) => (uint)slot < Endpoint.Slots ? s_slots[slot] : null;

        /// <summary>The live process an endpoint names, or null with the reason.</summary>
        public static Process Lookup(int endpoint, out IpcStatus status)
        {
            if (!Endpoint.IsProcess(endpoint))
            {
                status = IpcStatus.BadEndpoint;
                return null;
            }
            Process process = s_slots[Endpoint.SlotOf(endpoint)];
            if (process.Generation != Endpoint.GenerationOf(endpoint) || process.IsDead)
            {
                status = process.Generation == 0 && process.Flags == ProcessFlags.SlotFree ? IpcStatus.BadEndpoint : IpcStatus.DeadEndpoint;
                return null;
            }
            status = IpcStatus.Ok;
            return process;
        }

        /// <summary>Makes the running boot thread the kernel task (slot 0), pinned to the boot CPU it runs on.</summary>
        public static Process AdoptKernelTask(ulong stackBottom, ulong stackTop)
        {
            Process task = s_slots[KernelTaskSlot];
            task.Generation = 1;
            task.Name = "kernel";
            task.Flags = ProcessFlags.None;
            task.Priority = Scheduler.KernelPriority;
            task.Affinity = CpuSet.Of(0);
            UseStack(task, stackBottom, stackTop);
            return task;
        }

        /// <summary>
        /// Claims a free slot (one never used, or whose process died and runs nowhere any more) for a new process
        /// whose first switch-to starts <paramref name="entry"/>. Null if the table is full.
        /// </summary>
        public static Process Claim(string name, delegate*<ulong, void> entry, ulong argument, int priority, CpuSet affinity, bool isSystem)
        {
            Process process = null;
            for (int tried = 0; tried < Endpoint.Slots - 1 && process == null; tried++)
            {
                s_nextSlot = s_nextSlot % (Endpoint.Slots - 1) + 1;   // round robin over 1..Slots-1: the latest dead stay inspectable longest
                Process candidate = s_slots[s_nextSlot];
                if (candidate.IsDead && Atomic.Read(ref candidate.RunningOn) == Process.NoCpu) process = candidate;
            }
            if (process == null) return null;
            if (process.StackTop == 0) AllocateStack(process, process.Slot);
            process.Generation = Endpoint.NextGeneration(process.Generation);
            process.Name = name;
            process.IsSystem = isSystem;
            process.Priority = priority;
            process.Affinity = affinity;
            process.Entry = entry;
            process.Argument = argument;
            process.LastCpu = Process.NoCpu;
            process.PinnedTo = Process.NoCpu;
            process.StopRequested = 0;
            process.QuantumLeft = 0;
            process.SendTo = process.ReceiveFrom = Endpoint.None;
            process.AwaitingReply = false;
            process.FirstCaller = process.NextCaller = -1;
            process.PendingNotifications.Clear();
            process.CpuCycles = process.Switches = process.Migrations = 0;
            process.DeathReason = null;
            process.Memory.Reset((ushort)(process.Slot + 1));
            PrepareFirstSwitch(process);
            process.Flags = ProcessFlags.None;
            return process;
        }

        /// <summary>An idle thread for a CPU that has no boot stack of its own to idle on (the boot CPU).</summary>
        public static Process CreateIdleThread(int cpu, delegate*<ulong, void> entry)
        {
            var idle = new Process(-1, isIdle: true) { Name = "idle", Priority = RunQueue.Priorities, Entry = entry, Flags = ProcessFlags.None };
            AllocateStack(idle, Endpoint.Slots + cpu);
            PrepareFirstSwitch(idle);
            return idle;
        }

        /// <summary>An idle thread for a CPU already running on its own stack (an AP in its idle loop); see UseStack.</summary>
        public static Process AdoptIdleThread() => new Process(-1, isIdle: true) { Name = "idle", Priority = RunQueue.Priorities, Flags = ProcessFlags.None };

        /// <summary>Records the stack a thread already runs on, and plants the canary at its bottom.</summary>
        public static void UseStack(Process thread, ulong stackBottom, ulong stackTop)
        {
            thread.StackBottom = stackBottom;
            thread.StackTop = stackTop;
            *(ulong*)stackBottom = StackCanary;
        }

        /// <summary>False if the process wrote below its stack (its canary is gone): memory beneath it is suspect.</summary>
        public static bool StackIntact(Process process) => process.StackBottom == 0 || *(ulong*)process.StackBottom == StackCanary;

        private static void AllocateStack(Process process, int stackSlot)
        {
            ulong physical = PhysicalMemory.AllocateZeroedPagesOrPanic(StackPages, "a process's kernel stack");
            process.StackTop = Paging.MapStack(stackSlot, physical, StackPages);
            process.StackBottom = process.StackTop - StackPages * PageFrameAllocator.PageSize;
        }

        // A SwitchFrame at the top of the stack whose return address is process_start (Bridge/ContextSwitch.asm).
        private static void PrepareFirstSwitch(Process process)
        {
            *(ulong*)process.StackBottom = StackCanary;
            var frame = (SwitchFrame*)(process.StackTop - (ulong)sizeof(SwitchFrame));
            *frame = default;
            frame->Mxcsr = SwitchFrame.DefaultMxcsr;
            frame->FpuControl = SwitchFrame.DefaultFpuControl;
            frame->Rflags = SwitchFrame.ReservedFlag;
            frame->ReturnAddress = CpuNative.ProcessStartAddress();
            process.SavedRsp = (ulong)frame;
        }
    }
}

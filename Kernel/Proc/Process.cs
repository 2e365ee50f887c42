using System.Runtime.CompilerServices;
using Kernel.Memory;
using Kernel.Smp;

namespace Kernel.Proc
{
    /// <summary>
    /// Why a process cannot run, as bits (MINIX's RTS_* flags): a process runs only when none is set, so a
    /// process can be, say, receiving and stopped at once, and becomes runnable only when both are cleared.
    /// </summary>
    [System.Flags]
    public enum ProcessFlags
    {
        None = 0,
        SlotFree = 1 << 0,     // no process in this slot
        Sending = 1 << 1,      // blocked in Send until the partner receives
        Receiving = 1 << 2,    // blocked in Receive until a message or notification arrives
        Stopped = 1 << 3,      // suspended by another process until resumed
        Dead = 1 << 4,         // exited or killed; the slot is reused once no CPU runs it any more
        Inhibited = 1 << 5,    // another CPU is changing it (MINIX's RTS_VMINHIBIT): it must not run meanwhile
    }

    public enum ProcessState { Free, Runnable, Sending, Receiving, Stopped, Dead }

    /// <summary>
    /// One process: a managed task on its own kernel stack that shares no mutable state with other processes and
    /// talks to them only through IPC (Ipc.cs). Its entry gets one number as argument, never a reference. The
    /// scheduler's and IPC's fields are changed only under the big kernel lock; RunningOn is also read without it.
    /// Idle threads are Processes too (one per CPU, Slot -1, never in the process table or a run queue).
    /// </summary>
    public sealed unsafe class Process
    {
        public const int NoCpu = -1;

        public readonly int Slot;
        public int Generation;
        public string Name = "";
        public bool IsSystem;                // a server or the shell: not a target for `kill` or test clean-up
        public ProcessFlags Flags = ProcessFlags.SlotFree;
        public readonly bool IsIdle;

        // Scheduling
        public int Priority;
        public CpuSet Affinity;
        public int QueuedOn = NoCpu;         // the CPU whose run queue holds it
        public int RunningOn = NoCpu;        // the CPU running it now (written under the lock, polled without it)
        public int LastCpu = NoCpu;
        public int PinnedTo = NoCpu;         // a kernel thread: the one CPU it runs on (Scheduler.StartKernelThread)
        public int StopRequested;            // a kernel thread: 1 once its CPU leaves scheduling; it must return
        public int QuantumLeft;              // ticks left of its quantum when it last stopped running (0: a fresh one next time)
        public ulong SavedRsp;               // its SwitchFrame while it is not running
        public ulong StackBottom, StackTop;
        public delegate*<ulong, void> Entry;
        public ulong Argument;

        // IPC
        public int SendTo = Proc.Endpoint.None;
        public int ReceiveFrom = Proc.Endpoint.None;
        public bool AwaitingReply;           // in SendRec's receive half: only the partner's reply will do
        public Message* Buffer;              // the message it sends, or where a received one goes (on its own stack)
        public int FirstCaller = -1;         // processes blocked sending to it, in arrival order (slots)
        public int NextCaller = -1;
        public readonly SlotSet PendingNotifications;   // the slots whose processes notified it (null for idle threads: never notified)
        public IpcStatus Status;             // the result of the IPC call it is blocked in

        // Accounting
        public ulong CpuCycles;              // TSC cycles spent running
        public ulong RunningSinceTsc;
        public ulong Switches;               // times switched to
        public ulong Migrations;             // times run on a different CPU than the time before
        public string DeathReason;
        public ProcessMemory Memory;         // its own object heap (Kernel/Memory/ProcessMemory.cs), if HasOwnHeap

        public Process(int slot, bool isIdle)
        {
            Slot = slot;
            IsIdle = isIdle;
            if (!isIdle) PendingNotifications = new SlotSet(Proc.Endpoint.Slots);
        }

        public int Endpoint => Proc.Endpoint.Make(Slot, Generation);

        public bool IsRunnable => Flags == ProcessFlags.None;

        public bool IsKernelThread => PinnedTo != NoCpu;

        /// <summary>
        /// Whether an interrupt may switch away from it: not an idle thread (it reschedules from its loop), not a kernel
        /// thread (it gives its CPU up itself), not in the middle of its heap work (ProcessMemory.Busy).
        /// </summary>
        public bool IsPreemptible => !IsIdle && !IsKernelThread && Memory.Busy == 0;

        /// <summary>
        /// Processes allocate in heaps of their own, and so does the kernel task once it has one (KernelTaskHeap); idle
        /// and kernel threads in the kernel heap.
        /// </summary>
        public bool HasOwnHeap => !IsIdle && !IsKernelThread && (Slot != ProcessTable.KernelTaskSlot || KernelTaskHeap.Enabled);

        public ProcessMemory* MemoryBlock => (ProcessMemory*)Unsafe.AsPointer(ref Memory);   // objects never move

        public bool IsDead => (Flags & (ProcessFlags.Dead | ProcessFlags.SlotFree)) != 0;

        public ProcessState State =>
            (Flags & ProcessFlags.SlotFree) != 0 ? ProcessState.Free
            : (Flags & ProcessFlags.Dead) != 0 ? ProcessState.Dead
            : (Flags & (ProcessFlags.Stopped | ProcessFlags.Inhibited)) != 0 ? ProcessState.Stopped
            : (Flags & ProcessFlags.Sending) != 0 ? ProcessState.Sending
            : (Flags & ProcessFlags.Receiving) != 0 ? ProcessState.Receiving
            : ProcessState.Runnable;

        public static string StateName(ProcessState state) => state switch
        {
            ProcessState.Free => "free",
            ProcessState.Runnable => "runnable",
            ProcessState.Sending => "sending",
            ProcessState.Receiving => "receiving",
            ProcessState.Stopped => "stopped",
            _ => "dead",
        };
    }
}

using System.Runtime;
using Kernel.Arch;
using Kernel.Smp;
using Kernel.Sync;
using Kernel.Lib;

namespace Kernel.Proc
{
    /// <summary>The scheduler's part of a CPU's block (Kernel/Smp/KernelCpu.cs).</summary>
    public struct SchedulerCpu
    {
        public int NeedResched;                // 1: reschedule at the next interrupt exit or kernel exit
        public int QuantumLeft;                // ticks the running process has left before the next process of its priority gets a turn
        public ulong ContextSwitches;
    }

    /// <summary>
    /// The SMP scheduler, after MINIX 3's: per-CPU run queues with priorities, all changed under the big kernel
    /// lock, which a CPU also holds across a context switch (so a process's saved state is complete before any
    /// other CPU can take it). Processes are preempted when their quantum runs out (the local APIC tick) or when a
    /// higher-priority process becomes runnable on their CPU; the switch happens on the way out of the interrupt,
    /// after EOI. A process made runnable on another CPU costs that CPU a reschedule IPI only if it is idle or runs
    /// something of lower priority (Placement.NeedsIpi). Idle CPUs sleep with their tick stopped. Load is balanced
    /// where processes are placed (Placement.ChooseCpu), when a quantum runs out (Placement.RebalanceTarget), and by
    /// idle CPUs stealing. Floating-point state needs no work here: a preempted process's full FXSAVE image is on
    /// its own stack (InterruptStubs.asm), and a process that blocks in a call has none live (SysV ABI).
    /// </summary>
    public static unsafe class Scheduler
    {
        public const int KernelPriority = 0;
        public const int ServerPriority = 1;
        public const int UserPriority = 4;
        public const int LowestPriority = RunQueue.Priorities - 1;
        public const int QuantumTicks = 2;          // 20 ms at LocalApicTimer.TicksPerSecond
        public const int TimekeeperCpu = 0;         // never taken down: it keeps the kernel alarm while idle

        private static RunQueue[] s_queues;
        private static Process[] s_current;
        private static Process[] s_idle;
        private static int[] s_waiting;             // scratch for Placement: queue lengths, filled under the lock
        private static CpuSet s_usable;             // CPUs that take processes: online and not being taken down
        private static CpuSet s_idling;              // CPUs running their idle thread

        public static bool Initialized => s_queues != null;

        /// <summary>Scheduler state for every possible CPU, the boot thread as the kernel task, and the boot CPU's idle thread.</summary>
        public static void Initialize(ulong bootStackBottom, ulong bootStackTop)
        {
            ProcessTable.Initialize();
            Ipc.Initialize();
            s_queues = new RunQueue[Cpus.Capacity];
            var links = new int[Endpoint.Slots];   // one for all queues: a slot is queued on one CPU at most
            for (int cpu = 0; cpu < Cpus.Capacity; cpu++) s_queues[cpu] = new RunQueue(links);
            s_current = new Process[Cpus.Capacity];
            s_idle = new Process[Cpus.Capacity];
            s_waiting = new int[Cpus.Capacity];
            Process task = ProcessTable.AdoptKernelTask(bootStackBottom, bootStackTop);
            task.RunningOn = task.LastCpu = 0;
            task.RunningSinceTsc = Tsc.Read();
            s_current[0] = task;
            s_idle[0] = ProcessTable.CreateIdleThread(0, &IdleThreadEntry);
            s_usable = CpuSet.Of(0);
            KernelCpu.Current->Scheduler.QuantumLeft = QuantumTicks;
        }

        // ---- Queries ----

        /// <summary>The process running on this CPU. Read with interrupts off: a process could migrate between the two loads.</summary>
        public static Process Current
        {
            get
            {
                InterruptState state = InterruptState.Disable();
                Process current = s_current[KernelCpu.Current->Index];
                state.Restore();
                return current;
            }
        }

        /// <summary>The same, for code that holds the big kernel lock (interrupts are off).</summary>
        internal static Process CurrentLocked => s_current[KernelCpu.Current->Index];

        public static Process RunningOn(int cpu) => (uint)cpu < Cpus.Capacity ? s_current[cpu] : null;

        public static bool IsIdle(int cpu) => s_idling.ContainsShared(cpu);

        /// <summary>Whether the CPU takes processes: online, admitted by its own idle thread, not being taken down.</summary>
        public static bool IsUsable(int cpu) => s_usable.ContainsShared(cpu);

        public static int Waiting(int cpu) => s_queues[cpu].Count;

        /// <summary>A copy of the usable set, exact under the big kernel lock; without it, each CPU's bit is as of some recent moment.</summary>
        public static CpuSet Usable => s_usable;

        /// <summary>Every CPU's current process and queue, and every live process's state, for a report after a hang (no lock taken).</summary>
        public static void Report()
        {
            if (!Initialized) return;
            for (int cpu = 0; cpu < Cpus.Count; cpu++)
                Log.Error("sched", $"CPU {cpu}: running '{s_current[cpu]?.Name}', {s_queues[cpu].Count} waiting, need-resched {Cpus.Get(cpu)->Scheduler.NeedResched}, idle {IsIdle(cpu)}");
            for (int slot = 0; slot < Endpoint.Slots; slot++)
            {
                Process p = ProcessTable.At(slot);
                if (p.IsDead) continue;
                Log.Error("sched", $"slot {slot} '{p.Name}' flags 0x{(int)p.Flags:x} running-on {p.RunningOn} queued-on {p.QueuedOn} send-to {p.SendTo} receive-from {p.ReceiveFrom} reply {p.AwaitingReply} pending {p.PendingNotifications.Count} lowest-notifier {p.PendingNotifications.Lowest}");
            }
            Log.Error("sched", $"alarm armed {Alarm.Armed} deadline {Alarm.Deadline} now {Tsc.Read()} usable {s_usable.Count} CPUs, idle {s_idling.Count} CPUs, bkl owner {BigKernelLock.Owner}");
        }

        // ---- Creating and ending processes ----

        /// <summary>
        /// Starts a process; its endpoint, or Endpoint.None if the table is full. A system process (a server, the
        /// shell) is part of the running system: the shell's `kill` and the tests' clean-up leave it alone.
        /// </summary>
        public static int Spawn(string name, delegate*<ulong, void> entry, ulong argument, int priority = UserPriority, CpuSet affinity = default, bool isSystem = false)
        {
            if (affinity.IsEmpty) affinity = CpuSet.FirstN(Cpus.Capacity);
            if (priority < 0 || priority > LowestPriority) priority = UserPriority;
            BigKernelLock.Enter();
            Process process = ProcessTable.Claim(name, entry, argument, priority, affinity, isSystem);
            int endpoint = Endpoint.None;
            if (process != null)
            {
                endpoint = process.Endpoint;
                MakeRunnable(process);
            }
            LeaveKernel();
            BigKernelLock.Exit();
            if (process == null) Log.Warn("sched", $"process table full: '{name}' not started");
            return endpoint;
        }

        /// <summary>
        /// Starts a kernel thread: kernel code the scheduler runs like a process, pinned to one CPU, as Linux's per-CPU
        /// kthreads. It runs with interrupts on, so its CPU keeps serving cross-CPU calls and stop_machine, and it may do
        /// what processes may not: share kernel state, take the big kernel lock and spinlocks, and make cross-CPU calls
        /// (a call's inbox slot belongs to the sending CPU). That is safe because it never changes CPU and is never
        /// preempted: an interrupt never switches away from it, so nothing it holds waits on a thread that does not run.
        /// It gives its CPU up by returning, yielding or blocking, as kernel code without CONFIG_PREEMPT; processes queued
        /// there wait meanwhile, or idle CPUs take them. When its CPU leaves scheduling (Evacuate) it is asked to stop
        /// (KernelThreadShouldStop) and must return soon; the usable check and the request are both made under the lock,
        /// so no thread escapes it (model: Tests/Models/KernelThreadStop.pml). Its endpoint, or Endpoint.None if the CPU
        /// takes no processes (offline or going down) or the table is full.
        /// </summary>
        public static int StartKernelThread(string name, delegate*<ulong, void> entry, ulong argument, int cpu)
        {
            BigKernelLock.Enter();
            Process thread = s_usable.Contains(cpu) ? ProcessTable.Claim(name, entry, argument, KernelPriority, CpuSet.Of(cpu), isSystem: true) : null;
            if (thread != null)
            {
                thread.PinnedTo = cpu;
                MakeRunnable(thread);
            }
            LeaveKernel();
            BigKernelLock.Exit();
            return thread != null ? thread.Endpoint : Endpoint.None;
        }

        /// <summary>Whether the calling kernel thread's CPU is leaving scheduling, so it must return.</summary>
        public static bool KernelThreadShouldStop => Atomic.Read(ref Current.StopRequested) != 0;

        /// <summary>Ends the calling process (what returning from its entry does).</summary>
        public static void Exit(string reason)
        {
            BigKernelLock.Enter();
            Process self = s_current[KernelCpu.Current->Index];
            if (self.IsIdle || self.Slot == ProcessTable.KernelTaskSlot) Panic.Halt("the kernel task or an idle thread tried to exit");
            EndRunningProcess(self, reason);
        }

        // The running process dies and this CPU switches away from it for good. Lock held.
        private static void EndRunningProcess(Process self, string reason)
        {
            MarkDead(self, reason);
            Schedule();
            Panic.Halt("a dead process was scheduled again");
        }

        /// <summary>
        /// Kills a process wherever it is: blocked, queued, or running on another CPU (which is told to switch away at once;
        /// its slot is reused only after that CPU has). Partners blocked on it get IpcStatus.DeadEndpoint.
        /// </summary>
        public static IpcStatus Kill(int endpoint, string reason)
        {
            BigKernelLock.Enter();
            Process target = LookupChangeable(endpoint, out IpcStatus status);
            if (target != null) MarkDead(target, reason);
            LeaveKernel();
            BigKernelLock.Exit();
            return status;
        }

        /// <summary>
        /// Called for an exception: if it happened in a process's own code (not in the kernel task, an idle or kernel thread, its heap's code,
        /// holding or waiting for the big kernel lock, or an interrupt handler or cross-CPU request that happened to
        /// interrupt the process), the process is killed and reported and this CPU runs something else. Otherwise false.
        /// </summary>
        public static bool KillFaultingProcess(ref Lib.TextBuffer summary)
        {
            KernelCpu* cpu = KernelCpu.Current;
            if (!Initialized || BigKernelLock.HeldByCurrentCpu || cpu->Bkl.Waiting != 0 || cpu->Arch.HandlerNesting != 0) return false;
            Process self = s_current[cpu->Index];
            if (self == null || !self.IsPreemptible || self.Slot == ProcessTable.KernelTaskSlot) return false;
            BigKernelLock.Enter();
            Log.Error("sched", $"process '{self.Name}' (endpoint {self.Endpoint}) on CPU {KernelCpu.Current->Index} killed: {summary}");
            EndRunningProcess(self, "fault");
            return true;
        }

        // ---- Suspending, affinity, migration ----

        /// <summary>Stops a process until Resume; if it runs on another CPU, that CPU switches away at once.</summary>
        public static IpcStatus Suspend(int endpoint)
        {
            BigKernelLock.Enter();
            Process target = LookupChangeable(endpoint, out IpcStatus status);
            if (target != null) Block(target, ProcessFlags.Stopped);
            LeaveKernel();
            BigKernelLock.Exit();
            return status;
        }

        public static IpcStatus Resume(int endpoint)
        {
            BigKernelLock.Enter();
            Process target = ProcessTable.Lookup(endpoint, out IpcStatus status);
            if (target != null) Unblock(target, ProcessFlags.Stopped);
            LeaveKernel();
            BigKernelLock.Exit();
            return status;
        }

        /// <summary>
        /// Where a process may run. It moves before this returns: out of a queue it may no longer be in, or off a CPU it
        /// may no longer use. A process running on another CPU is inhibited (MINIX's RTS_VMINHIBIT) — it may not run
        /// while this CPU changes it — its CPU is told to switch away, and once it has, the process is placed anew.
        /// </summary>
        public static IpcStatus SetAffinity(int endpoint, CpuSet allowed)
        {
            if (!allowed.Overlaps(s_usable)) return IpcStatus.BadMessage;
            BigKernelLock.Enter();
            Process target = LookupChangeable(endpoint, out IpcStatus status);
            bool inhibited = false;
            if (target != null)
            {
                target.Affinity = allowed;
                int running = target.RunningOn;
                if (target.QueuedOn != Process.NoCpu && !allowed.Contains(target.QueuedOn))
                {
                    Dequeue(target);
                    MakeRunnable(target);
                }
                else if (running == (int)KernelCpu.Current->Index && !allowed.Contains(running)) KernelCpu.Current->Scheduler.NeedResched = 1;   // the caller itself: moves in LeaveKernel
                else if (running != Process.NoCpu && !allowed.Contains(running))
                {
                    Block(target, ProcessFlags.Inhibited);
                    inhibited = true;
                }
            }
            LeaveKernel();
            BigKernelLock.Exit();
            if (!inhibited) return status;

            bool left = WaitUntilOffCpu(endpoint, InhibitTimeoutMicros);
            BigKernelLock.Enter();
            Unblock(target, ProcessFlags.Inhibited);
            LeaveKernel();
            BigKernelLock.Exit();
            if (!left) Log.Warn("sched", $"process '{target.Name}' did not leave its CPU in time to be moved");
            return status;
        }

        private const ulong InhibitTimeoutMicros = 10_000_000;

        // The process an endpoint names, if it may be stopped, killed or moved: any but the kernel task and kernel threads
        // (which may hold kernel locks, and end themselves). Lock held.
        private static Process LookupChangeable(int endpoint, out IpcStatus status)
        {
            Process target = ProcessTable.Lookup(endpoint, out status);
            if (target == null || (target.Slot != ProcessTable.KernelTaskSlot && !target.IsKernelThread)) return target;
            status = IpcStatus.BadEndpoint;
            return null;
        }

        /// <summary>
        /// Waits, outside the lock, until no CPU runs the process (after Suspend or Kill, which only ask its CPU to
        /// switch away). MINIX's RTS_VMINHIBIT wait: the caller may then rely on its state staying put.
        /// </summary>
        public static bool WaitUntilOffCpu(int endpoint, ulong timeoutMicros)
        {
            Process process = ProcessTable.At(Endpoint.SlotOf(endpoint));
            if (process == null) return true;
            ulong deadline = Tsc.DeadlineAfter(timeoutMicros);
            while (Atomic.Read(ref process.RunningOn) != Process.NoCpu)
            {
                if (Tsc.Read() > deadline) return false;
                Yield();
            }
            return true;
        }

        /// <summary>Gives up the rest of the quantum to processes of the same priority.</summary>
        public static void Yield()
        {
            BigKernelLock.Enter();
            KernelCpu.Current->Scheduler.QuantumLeft = 0;
            Schedule();
            BigKernelLock.Exit();
        }

        // ---- CPU hot-plug ----

        /// <summary>
        /// Takes a CPU out of scheduling before it goes offline: nothing new is placed there, its queued processes move
        /// to other CPUs now and the one it runs moves at its next switch, which is asked for at once; its kernel threads
        /// are asked to stop. Returns once the CPU runs its idle thread with nothing queued (false on time-out). A process
        /// allowed only there gets every usable CPU instead.
        /// </summary>
        public static bool Evacuate(int cpu, ulong timeoutMicros)
        {
            BigKernelLock.Enter();
            s_usable.Publish(cpu, member: false);
            RunQueue queue = s_queues[cpu];
            for (int priority = 0; priority < RunQueue.Priorities; priority++)
                for (int slot = queue.First(priority), next; slot >= 0; slot = next)
                {
                    next = queue.Next(slot);
                    Process process = ProcessTable.At(slot);
                    if (process.IsKernelThread) continue;
                    Dequeue(process);
                    MakeRunnable(process);
                }
            for (int slot = 0; slot < Endpoint.Slots; slot++)
            {
                Process process = ProcessTable.At(slot);
                if (process.PinnedTo == cpu && !process.IsDead) Atomic.Write(ref process.StopRequested, 1);
            }
            if (!IsIdle(cpu)) ReschedulePromptly(cpu);
            BigKernelLock.Exit();

            ulong deadline = Tsc.DeadlineAfter(timeoutMicros);
            while (!IsIdle(cpu) || s_queues[cpu].Count != 0)
            {
                if (Tsc.Read() > deadline) return false;
                CpuNative.Pause();
            }
            return true;
        }

        /// <summary>Lets a CPU take processes again (it came online, or its evacuation was rolled back).</summary>
        public static void Readmit(int cpu)
        {
            BigKernelLock.Enter();
            s_usable.Publish(cpu, member: true);
            BigKernelLock.Exit();
        }

        // ---- Idle ----

        /// <summary>
        /// An AP's first scheduler step, before it marks itself online: its boot stack becomes its idle thread, and that
        /// thread its current one. From the moment it is online it serves cross-CPU calls (also while it waits for the
        /// big kernel lock), and a call must find the thread it interrupted (model: Tests/Models/ApArrival.pml). No lock:
        /// until the CPU is usable nothing else writes its entries. Returns the process the CPU ran when it was stopped,
        /// if it was stopped under one: RunIdleThisCpu ends it.
        /// </summary>
        public static Process AdoptIdleThread(ulong stackBottom, ulong stackTop)
        {
            int index = (int)KernelCpu.Current->Index;
            Process previous = s_current[index];
            Process idle = s_idle[index] ?? (s_idle[index] = ProcessTable.AdoptIdleThread());
            ProcessTable.UseStack(idle, stackBottom, stackTop);   // a restarted AP may have drawn another stack
            idle.RunningOn = index;
            s_current[index] = idle;
            return previous != null && !previous.IsIdle ? previous : null;
        }

        /// <summary>An AP's start, once online: it takes processes, and idles until it goes offline.</summary>
        public static void RunIdleThisCpu(Process stranded)
        {
            int index = (int)KernelCpu.Current->Index;
            BigKernelLock.Enter();
            if (stranded != null)
            {
                // The CPU was stopped (by a stop IPI, or INIT) while it ran this process, whose state was never saved.
                Log.Error("sched", $"CPU {index} was stopped while it ran process '{stranded.Name}': its state is lost, so it is killed");
                stranded.RunningOn = Process.NoCpu;
                MarkDead(stranded, "its CPU was stopped under it");
            }
            s_idling.Publish(index, member: true);
            s_usable.Publish(index, member: true);
            BigKernelLock.Exit();
            IdleLoop();
        }

        [KernelThread]
        private static void IdleThreadEntry(ulong unused) => IdleLoop();

        /// <summary>
        /// A CPU with nothing to run: it decides with interrupts off and sleeps with sti; hlt, so a wake-up arriving in
        /// between is not lost. While asleep its tick is stopped — only the timekeeper CPU arms a one-shot for the
        /// kernel alarm. Returns when the CPU has been taken offline (an AP's caller then reports it dead).
        /// </summary>
        private static void IdleLoop()
        {
            while (true)
            {
                CpuNative.DisableInterrupts();
                KernelCpu* cpu = KernelCpu.Current;
                if (cpu->CpuState == CpuState.Parked) return;
                if (s_queues[cpu->Index].Count != 0 || Atomic.Read(ref cpu->Scheduler.NeedResched) != 0)
                {
                    BigKernelLock.Enter();
                    Schedule();
                    BigKernelLock.Exit();
                    continue;
                }
                if (cpu->Index == TimekeeperCpu && Alarm.Armed) LocalApicTimer.ArmOneShotAt(Alarm.Deadline);
                else LocalApic.StopTimer();
                CpuNative.EnableInterruptsAndHalt();
            }
        }

        // ---- Kernel entry and exit points ----

        /// <summary>The tick's part, without the lock: count down the quantum; the switch happens at interrupt exit.</summary>
        public static void OnTick(PerCpu* tickingCpu)
        {
            SchedulerCpu* cpu = &KernelCpu.Of(tickingCpu)->Scheduler;
            if (cpu->QuantumLeft > 0 && --cpu->QuantumLeft == 0) cpu->NeedResched = 1;
        }

        /// <summary>
        /// After an interrupt's EOI: fire the kernel alarm if due, and switch if a reschedule is pending and the
        /// interrupted code is a process (idle threads reschedule from their loop, kernel threads when they yield, block
        /// or return, a process busy in its heap when it is done: Kernel/Memory/ProcessMemory.cs).
        /// </summary>
        public static void OnInterruptExit()
        {
            if (!Initialized) return;
            KernelCpu* cpu = KernelCpu.Current;
            if (Alarm.Due()) Alarm.Fire();
            Process interrupted = s_current[cpu->Index];
            if (cpu->Scheduler.NeedResched == 0 || !interrupted.IsPreemptible) return;
            BigKernelLock.Enter();
            Schedule();
            BigKernelLock.Exit();
        }

        /// <summary>
        /// The last thing every kernel call does before releasing the lock: switch if the caller may no longer run
        /// (it blocked, was stopped or killed meanwhile) or a higher-priority process became runnable here.
        /// </summary>
        public static void LeaveKernel()
        {
            KernelCpu* cpu = KernelCpu.Current;
            Process self = s_current[cpu->Index];
            if (!self.IsIdle && (!self.IsRunnable || cpu->Scheduler.NeedResched != 0)) Schedule();
        }

        // ---- Under the lock ----

        /// <summary>Sets a blocking flag; a process that was runnable leaves its queue or, if running elsewhere, its CPU.</summary>
        internal static void Block(Process process, ProcessFlags flag)
        {
            bool wasRunnable = process.IsRunnable;
            process.Flags |= flag;
            if (!wasRunnable) return;
            if (process.QueuedOn != Process.NoCpu) Dequeue(process);
            else if (process.RunningOn != Process.NoCpu && process.RunningOn != (int)KernelCpu.Current->Index) ReschedulePromptly(process.RunningOn);
        }

        /// <summary>Clears a blocking flag; a process left with none becomes runnable.</summary>
        internal static void Unblock(Process process, ProcessFlags flag)
        {
            if ((process.Flags & flag) == 0) return;
            process.Flags &= ~flag;
            if (process.IsRunnable && process.RunningOn == Process.NoCpu && process.QueuedOn == Process.NoCpu) MakeRunnable(process);
        }

        private static void MarkDead(Process process, string reason)
        {
            Block(process, ProcessFlags.Dead);
            process.DeathReason = reason;
            Ipc.ForgetEndpoint(process);
            if (process.RunningOn == Process.NoCpu) ReleaseHeap(process);   // else its CPU does, when it switches away (Switch)
        }

        // A dead process's pages go back at once: nothing can reach its objects (docs/heap.md). Only once it runs nowhere,
        // and never in the middle of its heap work, which is not preempted (model: Tests/Models/HeapRelease.pml). Lock held.
        private static void ReleaseHeap(Process process)
        {
            if (process.HasOwnHeap) process.Memory.Release();
        }

        /// <summary>Queues a runnable process on the CPU Placement chooses (a kernel thread on its own) and wakes that CPU if it must.</summary>
        private static void MakeRunnable(Process process)
        {
            int cpu = process.IsKernelThread ? process.PinnedTo : Placement.ChooseCpu(process.Affinity, s_usable, process.LastCpu, Lengths(), s_idling);
            if (cpu < 0) cpu = WidenAffinity(process);
            Enqueue(process, cpu, front: false);
        }

        private static int WidenAffinity(Process process)
        {
            Log.Warn("sched", $"process '{process.Name}' may run on no usable CPU: allowing all of them");
            process.Affinity = s_usable;
            return Placement.ChooseCpu(s_usable, s_usable, process.LastCpu, Lengths(), s_idling);
        }

        private static void Enqueue(Process process, int cpu, bool front)
        {
            if (front) s_queues[cpu].EnqueueFront(process.Slot, process.Priority);
            else s_queues[cpu].Enqueue(process.Slot, process.Priority);
            process.QueuedOn = cpu;
            KernelCpu* self = KernelCpu.Current;
            Process running = s_current[cpu];
            bool idle = running == null || running.IsIdle;
            if (cpu == (int)self->Index)
            {
                if (idle || process.Priority < running.Priority) self->Scheduler.NeedResched = 1;
            }
            else if (Placement.NeedsIpi(false, idle, idle ? RunQueue.Priorities : running.Priority, process.Priority))
                ReschedulePromptly(cpu);
        }

        private static void Dequeue(Process process)
        {
            s_queues[process.QueuedOn].Remove(process.Slot, process.Priority);
            process.QueuedOn = Process.NoCpu;
        }

        private static void ReschedulePromptly(int cpu)
        {
            KernelCpu* target = Cpus.Get(cpu);
            if (target == null) return;
            Atomic.Write(ref target->Scheduler.NeedResched, 1);
            CpuNative.FullFence();   // the queue and flag stores before the IPI (an x2APIC ICR write is not serialising)
            Ipi.Send(cpu, IpiKind.Reschedule);
        }

        private static int[] Lengths()
        {
            for (int cpu = 0; cpu < Cpus.Count; cpu++) s_waiting[cpu] = s_queues[cpu].Count;
            return s_waiting;
        }

        /// <summary>
        /// Picks what this CPU runs next and switches to it; returns when the caller's thread runs again (perhaps on
        /// another CPU). The caller, still runnable, goes back in a queue: at the front if a higher-priority process
        /// cut its quantum short, else at the back — of another CPU's queue if that evens out the load.
        /// </summary>
        internal static void Schedule()
        {
            KernelCpu* cpu = KernelCpu.Current;
            int index = (int)cpu->Index;
            cpu->Scheduler.NeedResched = 0;
            Process previous = s_current[index];
            if (!previous.IsIdle && previous.IsRunnable) Requeue(previous, index, cpu->Scheduler.QuantumLeft == 0);
            Process next = PickNext(index) ?? s_idle[index];
            if (next == previous)
            {
                if (!next.IsIdle && cpu->Scheduler.QuantumLeft == 0) cpu->Scheduler.QuantumLeft = QuantumTicks;
                return;
            }
            Switch(cpu, index, previous, next);
        }

        private static void Requeue(Process process, int cpu, bool quantumSpent)
        {
            bool mayStay = process.Affinity.Contains(cpu) && s_usable.Contains(cpu);
            if (!mayStay) { MakeRunnable(process); return; }
            if (!quantumSpent) { Enqueue(process, cpu, front: true); return; }
            int target = Placement.RebalanceTarget(cpu, process.Affinity, s_usable, Lengths(), s_idling);
            Enqueue(process, target < 0 ? cpu : target, front: false);
        }

        private static Process PickNext(int cpu)
        {
            int slot = s_queues[cpu].Dequeue();
            if (slot < 0 && s_usable.Contains(cpu)) slot = Steal(cpu);
            if (slot < 0) return null;
            Process next = ProcessTable.At(slot);
            next.QueuedOn = Process.NoCpu;
            return next;
        }

        // An idle CPU takes the first process it may run from the busiest other queue.
        private static int Steal(int cpu)
        {
            CpuSet others = s_usable;
            others.Remove(cpu);
            int victim = Placement.StealFrom(others, Lengths());
            if (victim < 0) return -1;
            RunQueue queue = s_queues[victim];
            for (int priority = 0; priority < RunQueue.Priorities; priority++)
                for (int slot = queue.First(priority); slot >= 0; slot = queue.Next(slot))
                    if (ProcessTable.At(slot).Affinity.Contains(cpu))
                    {
                        queue.Remove(slot, priority);
                        return slot;
                    }
            return -1;
        }

        private static void Switch(KernelCpu* cpu, int index, Process previous, Process next)
        {
            ulong now = Tsc.Read();
            previous.CpuCycles += now - previous.RunningSinceTsc;
            if (!ProcessTable.StackIntact(previous))
                Panic.Halt(TextBuffer.Of($"process '{previous.Name}' overflowed its kernel stack"));
            next.RunningSinceTsc = now;
            next.Switches++;
            if (next.LastCpu != index && next.LastCpu != Process.NoCpu) next.Migrations++;
            next.LastCpu = index;
            if (next.RunningOn != Process.NoCpu)
                Panic.Halt(TextBuffer.Of($"process '{next.Name}' chosen to run on two CPUs at once"));
            if (previous.IsDead) ReleaseHeap(previous);   // this CPU ran it last: nothing runs its code any more
            Atomic.Write(ref previous.RunningOn, Process.NoCpu);
            next.RunningOn = index;
            s_current[index] = next;
            cpu->Heap = next.HasOwnHeap ? next.MemoryBlock : null;
            s_idling.Publish(index, next.IsIdle);
            // A process cut short keeps what was left of its quantum; otherwise one that is woken often would never use
            // one up, and the processes of its priority waiting behind it would starve.
            previous.QuantumLeft = cpu->Scheduler.QuantumLeft;
            cpu->Scheduler.QuantumLeft = next.IsIdle ? 0 : next.QuantumLeft > 0 ? next.QuantumLeft : QuantumTicks;
            cpu->Scheduler.ContextSwitches++;
            if (previous.IsIdle) LocalApicTimer.StartThisCpu();   // a tickless idle CPU starts ticking for its process

            int interruptsWereEnabled = cpu->Bkl.InterruptsWereEnabled;   // the lock's record is per CPU; ours travels with us
            fixed (ulong* save = &previous.SavedRsp) CpuNative.SwitchContext(save, next.SavedRsp);
            KernelCpu.Current->Bkl.InterruptsWereEnabled = interruptsWereEnabled;
        }

        /// <summary>A new process's (or idle thread's) first code, reached through process_start with the lock held.</summary>
        [RuntimeExport("process_first_run")]
        private static void FirstRun()
        {
            KernelCpu* cpu = KernelCpu.Current;
            Process self = s_current[cpu->Index];
            cpu->Bkl.InterruptsWereEnabled = 1;
            BigKernelLock.Exit();
            self.Entry(self.Argument);
            Exit("returned");
        }
    }
}

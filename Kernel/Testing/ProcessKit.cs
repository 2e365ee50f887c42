using Kernel.Arch;
using Kernel.Proc;
using Kernel.Smp;
using Kernel.Sync;

namespace Kernel.Testing
{
    /// <summary>
    /// Processes that self-tests and benchmarks start from the kernel task: starting them, waiting for what they report
    /// (processes report back with messages, Report), and killing them afterwards. Waits poll with a bound
    /// (PollDeadline), sleeping through the clock server between looks. The asserting helpers (Spawn, Expect,
    /// KillStrays) are for tests; benchmarks, which must not fail a test, use the ones that return a status.
    /// </summary>
    public static unsafe class ProcessKit
    {
        public const ulong ReportTimeoutMicros = 30_000_000;   // TCG on an overcommitted host can stall a vCPU for long

        /// <summary>Where processes report (Report); the process API, as SystemTask.Call is.</summary>
        [ProcessApi]
        public static int KernelTask => ProcessTable.KernelTask.Endpoint;

        /// <summary>Starts a process or fails the test.</summary>
        public static int Spawn(string name, delegate*<ulong, void> entry, ulong argument, int priority = Scheduler.UserPriority, CpuSet affinity = default)
        {
            int endpoint = Scheduler.Spawn(name, entry, argument, priority, affinity);
            Assert.True(endpoint != Endpoint.None, "the process table had room");
            return endpoint;
        }

        /// <summary>The next message from <paramref name="from"/> (or anyone); fails the test if none comes in time.</summary>
        public static Message Expect(int from, string what, ulong timeoutMicros = ReportTimeoutMicros, ulong pollMicros = PollDeadline.IntervalMicros)
        {
            var message = new Message();
            IpcStatus status = ReceiveWithin(from, &message, timeoutMicros, pollMicros);
            if (status != IpcStatus.Ok) Assert.Fail(string.Concat(what, ": no message (", StatusName(status), ")"));
            return message;
        }

        public static IpcStatus ReceiveWithin(int from, Message* message, ulong timeoutMicros, ulong pollMicros = PollDeadline.IntervalMicros)
        {
            var poll = new PollDeadline(timeoutMicros, pollMicros);
            while (true)
            {
                IpcStatus status = Ipc.TryReceive(from, message);
                if (status != IpcStatus.NotReady) return status;
                if (!poll.Wait()) return IpcStatus.Timeout;
            }
        }

        /// <summary>From a process: a message to the kernel task, where the test waits for it.</summary>
        [ProcessApi]
        public static IpcStatus Report(int type, ulong p0 = 0, ulong p1 = 0, ulong p2 = 0)
        {
            Message message = Message.Of(type, p0, p1, p2);
            return Ipc.Send(KernelTask, &message);
        }

        /// <summary>A CPU-bound process: spins until killed.</summary>
        [Process("spinner")]
        public static void Spin(ulong unused)
        {
            while (true) Self.Pause();
        }

        /// <summary>The highest-numbered online AP, or 0 (the boot CPU) when no AP is online.</summary>
        public static int HighestOnlineCpu()
        {
            for (int cpu = Cpus.Count - 1; cpu > 0; cpu--)
                if (Cpus.Get(cpu)->CpuState == CpuState.Online) return cpu;
            return 0;
        }

        /// <summary>One CPU-bound process pinned to each online CPU; their endpoints in <paramref name="endpoints"/>.</summary>
        public static void SpinOnEveryCpu(int* endpoints)
        {
            for (int cpu = 0; cpu < Cpus.Count; cpu++)
                endpoints[cpu] = Cpus.Get(cpu)->CpuState == CpuState.Online ? Spawn("spinner", &Spin, 0, Scheduler.UserPriority, CpuSet.Of(cpu)) : Endpoint.None;
        }

        /// <summary>Waits until every online CPU has taken a timer interrupt (idle ones do not tick); fails the test otherwise.</summary>
        public static void WaitUntilEveryCpuTicks()
        {
            var ticks = stackalloc ulong[Cpus.Capacity];
            for (int cpu = 0; cpu < Cpus.Count; cpu++) ticks[cpu] = Atomic.Read(ref Cpus.Get(cpu)->Arch.TimerTicks);
            for (int cpu = 0; cpu < Cpus.Count; cpu++)
            {
                if (Cpus.Get(cpu)->CpuState != CpuState.Online) continue;
                var poll = new PollDeadline(ReportTimeoutMicros);
                while (Atomic.Read(ref Cpus.Get(cpu)->Arch.TimerTicks) == ticks[cpu] && poll.Wait()) { }
                Assert.True(Atomic.Read(ref Cpus.Get(cpu)->Arch.TimerTicks) > ticks[cpu], "a CPU running a process ticks");
            }
        }

        /// <summary>Kills every process but the kernel task and the servers, and drains reports they left; fails the test if one stays on its CPU.</summary>
        public static void KillStrays() => Assert.True(KillAll(ReportTimeoutMicros), "every killed process left its CPU");

        /// <summary>KillStrays without the assertion: false if a killed process was still on its CPU after <paramref name="offCpuTimeoutMicros"/>.</summary>
        public static bool KillAll(ulong offCpuTimeoutMicros)
        {
            bool allOff = true;
            for (int slot = 1; slot < Endpoint.Slots; slot++)
            {
                Process process = ProcessTable.At(slot);
                if (!IsStray(process)) continue;
                int endpoint = process.Endpoint;
                Scheduler.Kill(endpoint, "test cleanup");
                if (!Scheduler.WaitUntilOffCpu(endpoint, offCpuTimeoutMicros)) allOff = false;
            }
            var message = new Message();
            while (Ipc.TryReceive(Endpoint.Any, &message) == IpcStatus.Ok) { }
            return allOff;
        }

        /// <summary>A process a test or benchmark started, still alive.</summary>
        public static bool IsStray(Process process) => !process.IsDead && !process.IsSystem;

        /// <summary>Waits until the process is in <paramref name="state"/>; false on time-out.</summary>
        public static bool WaitForState(int endpoint, ProcessState state, ulong timeoutMicros = ReportTimeoutMicros)
        {
            Process process = ProcessTable.At(Endpoint.SlotOf(endpoint));
            var poll = new PollDeadline(timeoutMicros);
            while (process.State != state && !(state == ProcessState.Dead && process.Endpoint != endpoint))   // a reused slot: it died
                if (!poll.Wait()) return false;
            return true;
        }

        public static string StatusName(IpcStatus status) => status switch
        {
            IpcStatus.Ok => "ok",
            IpcStatus.BadEndpoint => "bad endpoint",
            IpcStatus.DeadEndpoint => "dead endpoint",
            IpcStatus.Deadlock => "deadlock",
            IpcStatus.BadMessage => "bad message",
            IpcStatus.NotReady => "not ready",
            _ => "timeout",
        };
    }
}

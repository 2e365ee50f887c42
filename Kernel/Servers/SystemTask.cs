using Kernel.Arch;
using Kernel.Bench;
using Kernel.Lib;
using Kernel.Memory;
using Kernel.Proc;
using Kernel.Smp;
using Kernel.Sync;
using Kernel.Testing;

namespace Kernel.Servers
{
    /// <summary>
    /// What the kernel task (the boot thread, slot 0) does once the system is up, like MINIX's SYSTEM task: it waits
    /// for messages and does the work that must run on the boot CPU's kernel thread — CPU hot-plug, whether asked
    /// by the firmware (QEMU's SCI, a notification from the kernel) or by a process, and the self-tests and
    /// benchmarks, which expect to run where they run at boot — and what no process may do itself: kill another
    /// process, power off, reboot, panic. A request is a SendRec; the reply carries the result. Call and the request
    /// numbers are the process API; the rest runs in the kernel.
    /// </summary>
    public static unsafe class SystemTask
    {
        public const int Unknown = 0;        // the reply to a request this task does not know
        public const int CpuUp = 1;          // P0 = CPU; reply P0 = HotplugResult, P1 = microseconds taken
        public const int CpuDown = 2;
        public const int RunSelfTests = 3;   // P0 = filter length, filter from P1 on (empty: all); reply P0 = failures
        public const int RunBenchmarks = 4;  // P0 = group length, group from P1 on (empty: all); reply P0 = measurements, P1 = 1 if no group starts so
        public const int IpiRoundTrip = 5;   // P0 = CPU; reply P0 = round trips answered, P1 = mean cycles, P2 = fastest
        public const int Kill = 6;           // P0 = endpoint; reply P0 = KillResult
        public const int PowerOff = 7;       // no reply: the machine goes off
        public const int Reboot = 8;         // no reply: the machine resets
        public const int Panic = 9;          // no reply: every CPU stops
        public const ulong Killed = 0, NoSuchProcess = 1, SystemProcess = 2, KillFailed = 3;   // Kill's reply P0
        public const int MaxFilter = Message.PayloadBytes - sizeof(ulong);

        private const ulong PollMicros = 10_000;
        private const int IpiRounds = 100;

        /// <summary>Client side: one request, answered when the work is done.</summary>
        [ProcessApi]
        public static IpcStatus Call(Message* request) => Ipc.SendRec(ProcessTable.KernelTask.Endpoint, request);

        /// <summary>The kernel task's loop; never returns. <paramref name="hotplugTests"/>: tests to run after each physical hot-plug event.</summary>
        public static void Run(string hotplugTests)
        {
            var message = new Message();
            while (true)
            {
                if (QemuCpuHotplug.Polling) ClockServer.AlarmIn(PollMicros);   // no SCI route: look at the GPE now and then
                if (Ipc.Receive(Endpoint.Any, &message) != IpcStatus.Ok) continue;
                if (message.Type == Message.Notification) HandleHotplugEvents(hotplugTests);
                else Serve(&message);
                KernelTaskHeap.CollectIfUsed();   // what serving it allocated comes back
            }
        }

        private static void HandleHotplugEvents(string hotplugTests)
        {
            ulong handled = QemuCpuHotplug.EventsHandled;
            PhysicalHotplug.ProcessPendingEvents();
            if (hotplugTests != null && QemuCpuHotplug.EventsHandled != handled) SelfTestRunner.Run(hotplugTests);
        }

        private static void Serve(Message* request)
        {
            int client = request->Source;
            var reply = new Message { Type = request->Type };
            if (request->Type == CpuUp || request->Type == CpuDown)
            {
                int cpu = (int)request->P0;
                reply.P0 = (ulong)(request->Type == CpuUp ? CpuHotplug.CpuUp(cpu) : CpuHotplug.CpuDown(cpu));
                reply.P1 = request->Type == CpuUp ? CpuHotplug.LastUpMicros : CpuHotplug.LastDownMicros;
            }
            else if (request->Type == RunSelfTests) reply.P0 = (ulong)SelfTestRunner.Run(FilterOf(request));
            else if (request->Type == RunBenchmarks) RunBenchmarkGroup(FilterOf(request), &reply);
            else if (request->Type == IpiRoundTrip) MeasureCallRoundTrips((int)request->P0, &reply);
            else if (request->Type == Kill) reply.P0 = KillFor((int)request->P0);
            else if (request->Type == PowerOff) Shutdown.PowerOff();
            else if (request->Type == Reboot) Shutdown.Reboot();
            else if (request->Type == Panic) PanicFor(client);
            else reply.Type = Unknown;
            Ipc.SendNonBlocking(client, &reply);
        }

        private static void RunBenchmarkGroup(string group, Message* reply)
        {
            if (!BenchmarkRunner.NamesAGroup(group)) { reply->P1 = 1; return; }
            reply->P0 = (ulong)BenchmarkRunner.Run(group);
        }

        private static void PanicFor(int client)
        {
            var reason = new TextBuffer();
            reason.Append($"requested by process '{ProcessTable.Lookup(client, out _)?.Name}'");
            Kernel.Panic.Halt(ref reason);
        }

        // Servers, the shell and the kernel task keep the system usable: nobody may kill them.
        private static ulong KillFor(int endpoint)
        {
            Process process = ProcessTable.Lookup(endpoint, out _);
            if (process == null) return NoSuchProcess;
            if (process.Slot == ProcessTable.KernelTaskSlot || process.IsSystem) return SystemProcess;
            return Scheduler.Kill(endpoint, "killed on request") == IpcStatus.Ok ? Killed : KillFailed;
        }

        // Cross-CPU calls from here (CPU 0) to `cpu` and back, each timed with interrupts off so nothing else is in it.
        private static void MeasureCallRoundTrips(int cpu, Message* reply)
        {
            ulong total = 0, fastest = ulong.MaxValue;
            ulong answered = 0;
            for (int i = 0; i < IpiRounds && cpu > 0 && cpu < Cpus.Count; i++)
            {
                InterruptState state = InterruptState.Disable();
                ulong start = Tsc.Read();
                bool done = CrossCpuCall.CallOn(cpu, &Nothing, null);
                ulong cycles = Tsc.Read() - start;
                state.Restore();
                if (!done) break;
                total += cycles;
                if (cycles < fastest) fastest = cycles;
                answered++;
            }
            reply->P0 = answered;
            reply->P1 = answered == 0 ? 0 : total / answered;
            reply->P2 = answered == 0 ? 0 : fastest;
        }

        private static void Nothing(void* unused) { }

        private static string FilterOf(Message* request)
        {
            int length = request->P0 > MaxFilter ? MaxFilter : (int)request->P0;
            return length == 0 ? "" : new string((sbyte*)&request->P1, 0, length);
        }
    }
}

using Kernel.Arch;
using Kernel.Lib;
using Kernel.Proc;
using Kernel.Servers;
using Kernel.Smp;
using Kernel.Sync;
using Kernel.Testing;

namespace Kernel.Bench
{
    /// <summary>
    /// Process and IPC benchmarks, run by the kernel task for BenchmarkRunner: SendRec round trips on one CPU and
    /// across two, a context switch (two processes yielding to each other), a Notify round trip across CPUs, and
    /// the big kernel lock's wait share under SendRec ping-pong on k = 1, 2, 4, 8 CPUs. The measuring processes
    /// time themselves with the TSC and report by message; they share nothing with the kernel task: a partner's
    /// endpoint comes in their argument, the rest in the Go message that answers their Ready. The kernel task waits
    /// blocked in Receive (a clock-server alarm bounds the wait), so it adds no lock traffic to what is measured, unlike
    /// the polling waits of the test kit (ProcessKit), whose echo server and teardown it shares. Every process is killed
    /// after its measurement. A measurement that fails is logged and left out.
    /// </summary>
    internal static unsafe class ProcessBenchmarks
    {
        private const int Ready = 1;     // measuring process → kernel task, by SendRec: the reply is Go
        private const int Go = 2;        // kernel task → measuring process: P0, P1, P2 = its parameters
        private const int Result = 3;    // measuring process → kernel task: P0 = cycles or count, P1 = rounds timed, P2 = 1 + IpcStatus of a failed call, else 0
        private const int Ping = 4;      // client → echo server (EchoServer), echoed back

        private const ulong WarmUpRounds = 100;
        private const ulong Rounds = 2_000;             // round trips, or yields by each of the two processes
        private const ulong BudgetMicros = 1_000_000;   // the timed rounds stop early after this (TCG on a loaded host can be 1000× slower)
        private const ulong LoadMicros = 300_000;
        private const int MaxLoadCpus = 8;
        private const ulong OffCpuTimeoutMicros = 10_000_000;

        private static int[] s_online;      // online CPU indices, ascending
        private static int s_onlineCount;

        /// <summary>Every measurement the online CPUs allow, recorded through BenchmarkRunner.Record. Kernel task only.</summary>
        public static void Run()
        {
            s_online = new int[Cpus.Capacity];
            s_onlineCount = 0;
            CpuSet usable = Scheduler.Usable;
            for (int cpu = 0; cpu < Cpus.Count; cpu++)
                if (Cpus.Get(cpu)->CpuState == CpuState.Online && usable.Contains(cpu)) s_online[s_onlineCount++] = cpu;
            if (s_onlineCount == 0) return;

            int near = s_onlineCount > 1 ? s_online[1] : s_online[0];   // CPU 1 if there is one: the kernel task stays on CPU 0
            int far = s_onlineCount > 2 ? s_online[2] : s_online[0];
            ulong value;
            if (RoundTripCycles(near, near, out value)) BenchmarkRunner.Record("ipc.roundtrip.same_cpu", value, "cycles");
            if (s_onlineCount > 1 && RoundTripCycles(near, far, out value)) BenchmarkRunner.Record("ipc.roundtrip.cross_cpu", value, "cycles");
            if (ContextSwitchCycles(near, out value)) BenchmarkRunner.Record("sched.context_switch", value, "cycles/switch");
            if (s_onlineCount > 1 && NotifyRoundTripCycles(near, far, out value)) BenchmarkRunner.Record("ipc.notify.cross_cpu", value, "cycles/roundtrip");
            for (int k = 1; k <= s_onlineCount && k <= MaxLoadCpus; k *= 2) MeasureLoad(k);

            DisarmTimeout();   // no alarm of ours may wake the clock server during the hot-plug measurements that follow
        }

        // ---- The measurements (kernel task) ----

        // A client on clientCpu times SendRec round trips to an echo server on serverCpu.
        private static bool RoundTripCycles(int clientCpu, int serverCpu, out ulong cycles)
        {
            int server = Start("bench-echo", &EchoServer.Run, 0, serverCpu);
            int client = server == Endpoint.None ? Endpoint.None : Start("bench-rt", &RoundTripClient, (ulong)server, clientCpu);
            bool ok = Timed(client, "SendRec round trips", 1, out cycles, out _);
            KillAll();
            return ok;
        }

        // Two processes on one CPU yield to each other: one times its yields, each a switch away and a switch back.
        private static bool ContextSwitchCycles(int cpu, out ulong cycles)
        {
            int partner = Start("bench-yield", &YieldForever, 0, cpu);
            int timer = partner == Endpoint.None ? Endpoint.None : Start("bench-yield-timed", &TimedYields, 0, cpu);
            ulong switchesBefore = Cpus.Get(cpu)->Scheduler.ContextSwitches;
            bool ok = Timed(timer, "yields", 2, out cycles, out ulong rounds);
            ulong switches = Cpus.Get(cpu)->Scheduler.ContextSwitches - switchesBefore;
            KillAll();
            if (ok && switches < 2 * rounds)
                Log.Warn("bench", $"CPU {cpu} switched {switches} times for {rounds} yields by each of two processes: they did not alternate");
            return ok;
        }

        // Notify, then wait for the partner's Notify back: a round trip of two notifications.
        private static bool NotifyRoundTripCycles(int clientCpu, int serverCpu, out ulong cycles)
        {
            int server = Start("bench-notify-echo", &NotifyEcho, 0, serverCpu);
            int client = server == Endpoint.None ? Endpoint.None : Start("bench-notify", &NotifyClient, (ulong)server, clientCpu);
            bool ok = Timed(client, "Notify round trips", 1, out cycles, out _);
            KillAll();
            return ok;
        }

        /// <summary>
        /// Lets a measuring process go (WarmUpRounds, then at most Rounds timed within BudgetMicros) and waits for its
        /// result: cycles per round, divided by <paramref name="switchesPerRound"/>. The caller kills the processes.
        /// </summary>
        private static bool Timed(int process, string what, ulong switchesPerRound, out ulong cycles, out ulong rounds)
        {
            cycles = rounds = 0;
            var result = new Message();
            bool ok = process != Endpoint.None && Expect(Ready, &process, &result, 1, what)
                      && SendGo(process, WarmUpRounds, Rounds, BudgetMicros * (Tsc.Hz / 1_000_000))
                      && Expect(Result, &process, &result, 1, what) && Succeeded(&result, what);
            if (!ok) return false;
            rounds = result.P1;
            if (rounds == 0)
            {
                Log.Warn("bench", $"{what}: not one round within {BudgetMicros} us");
                return false;
            }
            if (rounds < Rounds) Log.Info("bench", $"{what}: {rounds} of {Rounds} rounds within the {BudgetMicros} us budget");
            cycles = result.P0 / (rounds * switchesPerRound);
            return true;
        }

        /// <summary>
        /// k client/server pairs ping-pong with SendRec for LoadMicros on the first k online CPUs (client i on CPU i,
        /// its server on CPU i+1 mod k); records the big kernel lock's wait share on those CPUs over the run, in
        /// hundredths of a percent of their time, and the round trips per millisecond they managed together.
        /// </summary>
        private static void MeasureLoad(int k)
        {
            int* clients = stackalloc int[MaxLoadCpus];
            Message* results = stackalloc Message[MaxLoadCpus];
            bool ok = true;
            for (int i = 0; i < k && ok; i++)
            {
                int server = Start("bench-load-echo", &EchoServer.Run, 0, s_online[(i + 1) % k]);
                clients[i] = server == Endpoint.None ? Endpoint.None : Start("bench-load", &LoadClient, (ulong)server, s_online[i]);
                ok = clients[i] != Endpoint.None;
            }
            ok = ok && Expect(Ready, clients, results, k, "load clients' Ready");   // all waiting: the Go messages below go out at once

            ulong waitBefore = 0, acquisitionsBefore = 0, contendedBefore = 0;
            for (int i = 0; i < k; i++)
            {
                LockStatistics stats = BigKernelLock.StatisticsOf(s_online[i]);
                waitBefore += stats.WaitCycles;
                acquisitionsBefore += stats.Acquisitions;
                contendedBefore += stats.Contended;
            }
            ulong start = Tsc.Read();
            ulong deadline = Tsc.DeadlineAfter(LoadMicros);
            for (int i = 0; i < k && ok; i++) ok = SendGo(clients[i], deadline, 0, 0);
            ulong now = Tsc.Read();
            if (ok && now < deadline) ClockServer.SleepFor(Tsc.ToMicroseconds(deadline - now));
            ulong end = Tsc.Read();
            ulong waited = 0, acquisitions = 0, contended = 0;
            for (int i = 0; i < k; i++)
            {
                LockStatistics stats = BigKernelLock.StatisticsOf(s_online[i]);
                waited += stats.WaitCycles;
                acquisitions += stats.Acquisitions;
                contended += stats.Contended;
            }
            waited -= waitBefore;
            acquisitions -= acquisitionsBefore;
            contended -= contendedBefore;

            ok = ok && Expect(Result, clients, results, k, "ping-pong under load");
            ulong roundTrips = 0;
            for (int i = 0; i < k && ok; i++)
            {
                ok = Succeeded(&results[i], "ping-pong under load");
                roundTrips += results[i].P0;
            }
            KillAll();
            if (!ok) return;

            ulong elapsed = end - start;
            ulong share = waited * 10_000 / ((ulong)k * elapsed);
            ulong perMs = roundTrips * (Tsc.Hz / 1000) / (deadline - start);
            string cpus = string.Concat(k.ToString(), "cpus");
            BenchmarkRunner.Record(string.Concat("bkl.wait_share.", cpus), share, "0.01%");
            BenchmarkRunner.Record(string.Concat("ipc.throughput.", cpus), perMs, "roundtrips/ms");
            Log.Info("bench", $"{k} CPUs of SendRec ping-pong for {Tsc.ToMicroseconds(elapsed)} us: {roundTrips} round trips; big kernel lock taken {acquisitions} times, {contended} contended, {waited} cycles waited");
        }

        // ---- Helpers (kernel task) ----

        private static int Start(string name, delegate*<ulong, void> entry, ulong argument, int cpu)
        {
            int endpoint = Scheduler.Spawn(name, entry, argument, Scheduler.UserPriority, CpuSet.Of(cpu));
            if (endpoint == Endpoint.None) Log.Warn("bench", $"could not start '{name}'");
            return endpoint;
        }

        // The answer to the process's Ready, which it waits for in SendRec: it never has to wait for us.
        private static bool SendGo(int process, ulong p0, ulong p1, ulong p2)
        {
            Message go = Message.Of(Go, p0, p1, p2);
            IpcStatus status = Ipc.SendNonBlocking(process, &go);
            if (status != IpcStatus.Ok) Log.Warn("bench", $"Go to endpoint {process}: status {(int)status}");
            return status == IpcStatus.Ok;
        }

        private static bool Succeeded(Message* result, string what)
        {
            if (result->P2 == 0) return true;
            Log.Warn("bench", $"{what}: an IPC call failed with status {result->P2 - 1}");
            return false;
        }

        /// <summary>
        /// Waits, blocked in Receive, for one message of <paramref name="type"/> from each of the <paramref name="count"/>
        /// processes in <paramref name="from"/> (into results[i] for from[i]); other messages are dropped. False, logged
        /// with what the processes were doing, if ProcessKit.ReportTimeoutMicros pass first (the clock server's alarm) or Receive fails.
        /// </summary>
        private static bool Expect(int type, int* from, Message* results, int count, string what)
        {
            if (!ArmTimeout()) return false;
            bool* arrived = stackalloc bool[MaxLoadCpus];
            for (int i = 0; i < count; i++) arrived[i] = false;
            int missing = count;
            var message = new Message();
            while (missing > 0)
            {
                IpcStatus status = Ipc.Receive(Endpoint.Any, &message);
                bool timedOut = status == IpcStatus.Ok && message.Type == Message.Notification && message.Source == ClockServer.Endpoint;
                if (status != IpcStatus.Ok || timedOut)
                {
                    Log.Warn("bench", $"{what}: {missing} of {count} reports missing ({(timedOut ? "timed out" : "receive failed")}, status {(int)status}); the benchmark's processes:");
                    DescribeProcesses();
                    return false;
                }
                for (int i = 0; i < count; i++)
                {
                    if (arrived[i] || message.Source != from[i] || message.Type != type) continue;
                    results[i] = message;
                    arrived[i] = true;
                    missing--;
                    break;
                }
            }
            return true;
        }

        // A notification from the clock server in ProcessKit.ReportTimeoutMicros; it replaces any earlier one, and one that fired
        // before it did, still pending, is taken away so that it cannot pass for this one.
        private static bool ArmTimeout()
        {
            IpcStatus status = ClockServer.AlarmIn(ProcessKit.ReportTimeoutMicros);
            if (status != IpcStatus.Ok) Log.Warn("bench", $"the clock server did not set an alarm: status {(int)status}");
            var stale = new Message();
            while (Ipc.TryReceive(ClockServer.Endpoint, &stale) == IpcStatus.Ok) { }
            return status == IpcStatus.Ok;
        }

        // A short sleep replaces the pending alarm (one request per process) and ends with nothing left at the clock server.
        private static void DisarmTimeout()
        {
            ClockServer.SleepFor(1);
            var stale = new Message();
            while (Ipc.TryReceive(ClockServer.Endpoint, &stale) == IpcStatus.Ok) { }
        }

        // What a stuck measurement's processes and CPUs were doing, for the log.
        private static void DescribeProcesses()
        {
            for (int slot = 1; slot < Endpoint.Slots; slot++)
            {
                Process p = ProcessTable.At(slot);
                if (!ProcessKit.IsStray(p)) continue;
                Log.Warn("bench", $"  endpoint {p.Endpoint} '{p.Name}': {Process.StateName(p.State)}, running on {p.RunningOn}, queued on {p.QueuedOn}, last CPU {p.LastCpu}, receive from {p.ReceiveFrom}, send to {p.SendTo}, notifications pending {p.PendingNotifications.Count}, switches {p.Switches}");
            }
            ulong* acquisitions = stackalloc ulong[Cpus.Capacity];
            ulong* switches = stackalloc ulong[Cpus.Capacity];
            for (int i = 0; i < s_onlineCount; i++)
            {
                acquisitions[i] = Cpus.Get(s_online[i])->Bkl.Statistics.Acquisitions;
                switches[i] = Cpus.Get(s_online[i])->Scheduler.ContextSwitches;
            }
            ClockServer.SleepFor(200_000);
            for (int i = 0; i < s_onlineCount; i++)
            {
                int cpu = s_online[i];
                KernelCpu* c = Cpus.Get(cpu);
                Process running = Scheduler.RunningOn(cpu);
                Log.Warn("bench", $"  CPU {cpu}: runs '{(running == null ? "-" : running.Name)}', {Scheduler.Waiting(cpu)} waiting, need resched {c->Scheduler.NeedResched}; in 200 ms {c->Bkl.Statistics.Acquisitions - acquisitions[i]} lock acquisitions, {c->Scheduler.ContextSwitches - switches[i]} switches");
            }
        }

        private static void KillAll()
        {
            if (!ProcessKit.KillAll(OffCpuTimeoutMicros)) Log.Warn("bench", $"a killed process still runs after {OffCpuTimeoutMicros} us");
        }

        // ---- The processes: they share nothing with the kernel task ----

        // Ready, answered by Go with the parameters; false (reported as a failure) if anything else came back.
        [Process("bench")]
        private static bool AwaitGo(Message* go)
        {
            *go = Message.Of(Ready);
            IpcStatus status = Ipc.SendRec(ProcessKit.KernelTask, go);
            if (status == IpcStatus.Ok && go->Type != Go) status = IpcStatus.BadMessage;
            if (status != IpcStatus.Ok) Report(0, 0, status);
            return status == IpcStatus.Ok;
        }

        [Process("bench")]
        private static void Report(ulong p0, ulong p1, IpcStatus status) => ProcessKit.Report(Result, p0, p1, status == IpcStatus.Ok ? 0 : 1 + (ulong)status);

        // Argument: the echo server. Go: P0 warm-up rounds, P1 timed rounds at most, P2 the budget in TSC cycles
        // for the timed ones (a quarter of it for the warm-up).
        [Process("bench")]
        private static void RoundTripClient(ulong server)
        {
            var go = new Message();
            if (!AwaitGo(&go)) return;
            ulong done;
            IpcStatus status = PingPong((int)server, go.P0, Snapshots.TscNow + go.P2 / 4, out done);
            ulong start = Snapshots.TscNow;
            if (status == IpcStatus.Ok) status = PingPong((int)server, go.P1, start + go.P2, out done);
            Report(Snapshots.TscNow - start, done, status);
        }

        [Process("bench")]
        private static IpcStatus PingPong(int server, ulong rounds, ulong deadline, out ulong done)
        {
            for (done = 0; done < rounds && Snapshots.TscNow < deadline; done++)
            {
                Message message = Message.Of(Ping, done);
                IpcStatus status = Ipc.SendRec(server, &message);
                if (status != IpcStatus.Ok) return status;
            }
            return IpcStatus.Ok;
        }

        // Argument: the echo server. Go: P0 the TSC deadline. Reports how many round trips it made by then.
        [Process("bench")]
        private static void LoadClient(ulong server)
        {
            var go = new Message();
            if (!AwaitGo(&go)) return;
            ulong done;
            IpcStatus status = PingPong((int)server, ulong.MaxValue, go.P0, out done);
            Report(done, 0, status);
        }

        [Process("bench")]
        private static void YieldForever(ulong unused)
        {
            while (true) Self.Yield();
        }

        // Go: as RoundTripClient's.
        [Process("bench")]
        private static void TimedYields(ulong unused)
        {
            var go = new Message();
            if (!AwaitGo(&go)) return;
            ulong done;
            Yields(go.P0, Snapshots.TscNow + go.P2 / 4, out done);
            ulong start = Snapshots.TscNow;
            Yields(go.P1, start + go.P2, out done);
            Report(Snapshots.TscNow - start, done, IpcStatus.Ok);
        }

        [Process("bench")]
        private static void Yields(ulong rounds, ulong deadline, out ulong done)
        {
            for (done = 0; done < rounds && Snapshots.TscNow < deadline; done++) Self.Yield();
        }

        /// <summary>Answers every notification with one of its own.</summary>
        [Process("bench")]
        private static void NotifyEcho(ulong unused)
        {
            var message = new Message();
            while (true)
                if (Ipc.Receive(Endpoint.Any, &message) == IpcStatus.Ok && message.Type == Message.Notification) Ipc.Notify(message.Source);
        }

        // Argument: the notify echo. Go: as RoundTripClient's.
        [Process("bench")]
        private static void NotifyClient(ulong partner)
        {
            var go = new Message();
            if (!AwaitGo(&go)) return;
            ulong done;
            IpcStatus status = NotifyPingPong((int)partner, go.P0, Snapshots.TscNow + go.P2 / 4, out done);
            ulong start = Snapshots.TscNow;
            if (status == IpcStatus.Ok) status = NotifyPingPong((int)partner, go.P1, start + go.P2, out done);
            Report(Snapshots.TscNow - start, done, status);
        }

        [Process("bench")]
        private static IpcStatus NotifyPingPong(int partner, ulong rounds, ulong deadline, out ulong done)
        {
            var message = new Message();
            for (done = 0; done < rounds && Snapshots.TscNow < deadline; done++)
            {
                IpcStatus status = Ipc.Notify(partner);
                if (status == IpcStatus.Ok) status = Ipc.Receive(partner, &message);
                if (status == IpcStatus.Ok && message.Type != Message.Notification) status = IpcStatus.BadMessage;
                if (status != IpcStatus.Ok) return status;
            }
            return IpcStatus.Ok;
        }
    }
}

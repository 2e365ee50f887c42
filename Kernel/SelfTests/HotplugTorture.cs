using Kernel.Arch;
using Kernel.Lib;
using Kernel.Proc;
using Kernel.Servers;
using Kernel.Smp;
using Kernel.Sync;
using Kernel.Testing;

namespace Kernel.SelfTests
{
    /// <summary>
    /// Hot-plug torture: `torture.transitions` CPU downs and ups (default 10; e.g. `selftest=hotplug-torture
    /// torture.transitions=10000` for a long run) as a random walk biased towards one end, so the kernel goes down
    /// to one CPU (UP mode) and back to all (SMP) again and again. Client/server process pairs ping-pong numbered
    /// SendRec messages throughout; during each transition half the online APs (odd or even, in turn) also take a
    /// spinlock and the big kernel lock and call the boot CPU (a kernel thread each, which keeps its CPU from processes,
    /// so the processes run on the other half meanwhile). After each transition: both locks' counters exact,
    /// every call answered exactly once and every online CPU answers one more, alternatives mode matching the online
    /// count, text exact, every process alive and its pair making progress, each reply answering its own request.
    /// Ends with every CPU back online.
    /// </summary>
    [SelfTestSuite("hotplug-torture")]
    public static unsafe class HotplugTorture
    {
        private const int BklEvery = 8;
        private const int CallEvery = 64;
        private const int Pairs = 3;
        private const int BurstRoundTrips = 16;
        private const ulong ProgressEvery = 100;
        private const int Ping = 1;
        private const int Progress = 2;        // a client's report: P0 the last number answered, P1 errors so far
        private const ulong StopTimeoutMicros = 10_000_000;

        private static SpinLock s_loadLock;
        private static int s_stop, s_sessions, s_callFailures, s_ran;
        private static long s_callsAnswered;
        private static ulong s_spinCounter, s_bklCounter;     // plain increments, each under its lock
        private static ulong s_toUp, s_toSmp;                 // alternatives switches the transitions made
        private static ulong* s_spinByCpu;                    // [cpu], written under the spinlock
        private static ulong* s_bklByCpu;                     // [cpu], written under the big kernel lock
        private static ulong* s_callsByCpu;                   // [cpu], calls that returned answered

        [SelfTestCleanup]
        public static void KillStrays() => ProcessKit.KillStrays();

        [SelfTest]
        public static void RandomTransitionsKeepEveryInvariant()
        {
            if (Cpus.Count == 1) Assert.Skip("one CPU: nothing to take down");
            ulong transitions = SelfTestRunner.PositiveOption("torture.transitions", 10, "count");

            Reset();
            var endpoints = stackalloc int[2 * Pairs];   // server, client per pair
            var roundTrips = stackalloc ulong[Pairs];   // as each client last reported
            for (int pair = 0; pair < Pairs; pair++)
            {
                endpoints[2 * pair] = ProcessKit.Spawn("torture-server", &EchoServer.Run, 0);
                endpoints[2 * pair + 1] = ProcessKit.Spawn("torture-client", &Client, (ulong)(uint)endpoints[2 * pair]);
                roundTrips[pair] = 0;
            }

            var random = new Xorshift(Tsc.Read());
            ulong start = Tsc.Read();
            bool goingDown = true;
            for (ulong i = 0; i < transitions; i++)
            {
                if (Cpus.OnlineCount == 1) goingDown = false;
                else if (Cpus.OnlineCount == Cpus.Count) goingDown = true;
                ulong choice = random.Next();
                bool down = Cpus.OnlineCount == Cpus.Count || (Cpus.OnlineCount > 1 && ((choice & 3) != 0) == goingDown);
                Transition(PickCpu(down ? CpuState.Online : CpuState.Parked, choice >> 2), down, (int)((choice >> 40) & 1));
                Check(endpoints, roundTrips);
                if ((i + 1) % ProgressEvery == 0)   // a long run that is cut short still says how far it got
                    Log.Info("torture", $"{i + 1} transitions, {s_toUp} UP + {s_toSmp} SMP switches, {Sum(roundTrips, Pairs)} IPC round trips, {s_spinCounter} spin + {s_bklCounter} BKL increments, {Sum(s_callsByCpu)} calls, {Tsc.ToMicroseconds(Tsc.Read() - start) / 1000} ms");
            }
            for (int cpu = 1; cpu < Cpus.Count; cpu++)
                if (Cpus.Get(cpu)->CpuState != CpuState.Online) Transition(cpu, down: false, parity: 1);
            Check(endpoints, roundTrips);

            KillPairs(endpoints);
            Assert.Equal(Sum(s_callsByCpu), (ulong)s_callsAnswered, "every call made was answered, once");
            if (Alternatives.Mode != AlternativesMode.Off) Assert.EqualHex(0, Alternatives.FindMismatch(), "the whole text is as built for SMP at the end");

            ulong calls = Sum(s_callsByCpu);
            ulong millis = Tsc.ToMicroseconds(Tsc.Read() - start) / 1000;
            SelfTestRunner.Note(new TextBuilder().Append(transitions).Append(" transitions, ").Append((ulong)Cpus.Count)
                .Append(" CPUs, ").Append(millis).Append(" ms, ").Append(s_toUp).Append(" UP + ").Append(s_toSmp)
                .Append(" SMP switches, ").Append(Sum(roundTrips, Pairs)).Append(" IPC round trips, ").Append(s_spinCounter).Append(" spin + ")
                .Append(s_bklCounter).Append(" BKL increments, ").Append(calls).Append(" calls, 0 lost").ToString());
        }

        // A random AP in the given state (one exists: the walk never asks for a down at one CPU or an up at all).
        private static int PickCpu(CpuState state, ulong random)
        {
            int candidates = 0;
            for (int cpu = 1; cpu < Cpus.Count; cpu++)
                if (Cpus.Get(cpu)->CpuState == state) candidates++;
            Assert.True(candidates > 0, "a CPU to change");
            int skip = (int)(random % (ulong)candidates);
            for (int cpu = 1; cpu < Cpus.Count; cpu++)
                if (Cpus.Get(cpu)->CpuState == state && skip-- == 0) return cpu;
            return -1;
        }

        // The load runs on the APs of one parity (picked at random), so the processes keep running on the others meanwhile.
        private static void Transition(int cpu, bool down, int parity)
        {
            AlternativesMode before = Alternatives.Mode;
            Atomic.Write(ref s_stop, 0);
            for (int ap = 1; ap < Cpus.Count; ap++)
                if ((ap & 1) == parity) StartLoad(ap);
            HotplugResult result = down ? CpuHotplug.CpuDown(cpu) : CpuHotplug.CpuUp(cpu);
            StopLoad();
            Assert.True(result == HotplugResult.Done, down ? "down" : "up");
            if (before == AlternativesMode.Smp && Alternatives.Mode == AlternativesMode.Up) s_toUp++;
            if (before == AlternativesMode.Up && Alternatives.Mode == AlternativesMode.Smp) s_toSmp++;
        }

        private static void Reset()
        {
            if (s_spinByCpu == null)
            {
                s_spinByCpu = (ulong*)Scratch.Allocate((ulong)(Cpus.Capacity * sizeof(ulong)));
                s_bklByCpu = (ulong*)Scratch.Allocate((ulong)(Cpus.Capacity * sizeof(ulong)));
                s_callsByCpu = (ulong*)Scratch.Allocate((ulong)(Cpus.Capacity * sizeof(ulong)));
            }
            Lib.Memory.Zero(s_spinByCpu, (nuint)(Cpus.Capacity * sizeof(ulong)));
            Lib.Memory.Zero(s_bklByCpu, (nuint)(Cpus.Capacity * sizeof(ulong)));
            Lib.Memory.Zero(s_callsByCpu, (nuint)(Cpus.Capacity * sizeof(ulong)));
            s_stop = s_sessions = s_callFailures = 0;
            s_callsAnswered = 0;
            s_spinCounter = s_bklCounter = s_toUp = s_toSmp = 0;
        }

        // A load counts as running from its start, so StopLoad also waits for one that has not run yet.
        private static void StartLoad(int cpu)
        {
            if (Cpus.Get(cpu)->CpuState != CpuState.Online) return;
            Atomic.Increment(ref s_sessions);
            if (Scheduler.StartKernelThread("torture-load", &Load, 0, cpu) != Endpoint.None) return;
            Atomic.Decrement(ref s_sessions);
            Assert.Fail("load started on an online AP");
        }

        // A kernel thread on an AP during a transition: until told to stop, or until its CPU leaves scheduling.
        [KernelThread]
        private static void Load(ulong unused)
        {
            int cpu = (int)KernelCpu.Current->Index;   // a kernel thread never changes CPU
            for (ulong i = 1; Atomic.Read(ref s_stop) == 0 && !Scheduler.KernelThreadShouldStop; i++)
            {
                s_loadLock.Acquire();
                s_spinCounter++;
                s_spinByCpu[cpu]++;
                s_loadLock.Release();
                if (i % BklEvery == 0)
                {
                    BigKernelLock.Enter();
                    s_bklCounter++;
                    s_bklByCpu[cpu]++;
                    BigKernelLock.Exit();
                }
                if (i % CallEvery == 0)
                {
                    if (CrossCpuCall.CallOn(0, &Answer, null)) Atomic.Write(ref s_callsByCpu[cpu], s_callsByCpu[cpu] + 1);
                    else Atomic.Increment(ref s_callFailures);
                }
            }
            Atomic.Decrement(ref s_sessions);
        }

        private static void Answer(void* unused) => Atomic.Increment(ref s_callsAnswered);

        private static void CountRun(void* unused) => Atomic.Increment(ref s_ran);

        // Process: argument = its echo server. Numbered SendRec round trips, the reply carrying the number plus one (a
        // lost, repeated or stray reply carries another); after each burst, a Progress report if the test asked for one
        // (a notification from the kernel task), then a short sleep, so that six busy processes do not slow the
        // transitions down under emulation.
        [Process("hotplug-torture")]
        private static void Client(ulong server)
        {
            int kernel = ProcessKit.KernelTask;
            ulong errors = 0;
            var ask = new Message();
            for (ulong sequence = 1; ; sequence++)
            {
                Message message = Message.Of(Ping, sequence);
                if (Ipc.SendRec((int)server, &message) != IpcStatus.Ok || message.P0 != sequence + 1) errors++;
                if (sequence % BurstRoundTrips != 0) continue;
                if (Ipc.TryReceive(kernel, &ask) == IpcStatus.Ok) ProcessKit.Report(Progress, sequence, errors);
                ClockServer.SleepFor(PollDeadline.IntervalMicros);
            }
        }

        private static ulong Sum(ulong* perCpu) => Sum(perCpu, Cpus.Count);

        private static ulong Sum(ulong* counts, int count)
        {
            ulong sum = 0;
            for (int i = 0; i < count; i++) sum += Atomic.Read(ref counts[i]);
            return sum;
        }

        /// <summary>What must hold after every transition, the load stopped and the processes still running.</summary>
        private static void Check(int* endpoints, ulong* roundTrips)
        {
            BigKernelLock.Enter();
            ulong bkl = s_bklCounter, bklCounted = Sum(s_bklByCpu);
            BigKernelLock.Exit();
            Assert.Equal(bklCounted, bkl, "no increment under the big kernel lock was lost");
            s_loadLock.Acquire();
            ulong spin = s_spinCounter, spinCounted = Sum(s_spinByCpu);
            s_loadLock.Release();
            Assert.Equal(spinCounted, spin, "no increment under the spinlock was lost");

            Assert.Equal(0ul, (ulong)Atomic.Read(ref s_callFailures), "every call the load made was answered in time");
            Assert.Equal(Sum(s_callsByCpu), (ulong)Atomic.Read(ref s_callsAnswered), "every call the load made ran exactly once");
            s_ran = 0;
            Assert.True(CrossCpuCall.CallOnAll(&CountRun, null, includeSelf: true), "every online CPU answered");
            Assert.Equal((ulong)Cpus.OnlineCount, (ulong)Atomic.Read(ref s_ran), "each exactly once");
            if (Alternatives.Mode != AlternativesMode.Off)
            {
                Assert.True((Alternatives.Mode == AlternativesMode.Up) == (Cpus.OnlineCount == 1), "UP exactly when one CPU is online");
                Assert.EqualHex(0, Alternatives.FindMismatch(), "text exact after the transition");
            }

            for (int i = 0; i < 2 * Pairs; i++)
            {
                Process process = ProcessTable.At(Endpoint.SlotOf(endpoints[i]));
                Assert.True(process.Endpoint == endpoints[i] && !process.IsDead, "every torture process is alive");
            }
            // A client reports at the end of the burst it is in when asked: a report is a round trip since the last one.
            for (int pair = 0; pair < Pairs; pair++)
            {
                int client = endpoints[2 * pair + 1];
                Assert.True(Ipc.Notify(client) == IpcStatus.Ok, "a client asked for its progress");
                Message progress = ProcessKit.Expect(client, "an IPC pair made no round trip since the last transition");
                Assert.Equal((ulong)Progress, (ulong)progress.Type, "a client's progress report");
                Assert.Equal(0ul, progress.P1, "every round trip answered with its own reply");
                roundTrips[pair] = progress.P0;
            }
        }

        // Ends the load of one transition: every load started for it has run to its end.
        private static void StopLoad()
        {
            Atomic.Write(ref s_stop, 1);
            Atomic.FullFence();   // the stop is visible before the count of sessions is read
            ulong deadline = Tsc.DeadlineAfter(StopTimeoutMicros);
            while (Atomic.Read(ref s_sessions) != 0)
            {
                if (Tsc.Read() > deadline) Assert.Fail("every CPU's load stopped");
                CpuNative.Pause();
            }
        }

        // Their messages were checked last by Check: a kill cuts a round trip short.
        private static void KillPairs(int* endpoints)
        {
            for (int i = 2 * Pairs - 1; i >= 0; i--)
            {
                Scheduler.Kill(endpoints[i], "torture over");
                Assert.True(Scheduler.WaitUntilOffCpu(endpoints[i], ProcessKit.ReportTimeoutMicros), "a killed process left its CPU");
            }
        }
    }
}

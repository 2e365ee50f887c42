using Kernel.Arch;
using Kernel.Diagnostics;
using Kernel.Lib;
using Kernel.Smp;
using Kernel.Sync;

namespace Kernel.Bench
{
    /// <summary>
    /// The in-guest benchmarks (kernel option `bench`): numbers, never assertions. Prints a table and one
    /// `BENCH {json}` line that host tooling collects, then ends QEMU. Costs are in TSC cycles; contended
    /// throughput is lock hand-offs per millisecond with k CPUs hammering one lock. Process and IPC costs, and the
    /// big kernel lock's wait share under IPC load, come from ProcessBenchmarks.
    /// </summary>
    public static unsafe class BenchmarkRunner
    {
        private const int UncontendedRounds = 100_000;
        private const int RoundTrips = 2_000;
        private const ulong ContendedMicros = 100_000;

        private const int MaxMeasurements = 128;

        /// <summary>What `bench GROUP` can name; every measurement belongs to one.</summary>
        private static readonly string[] s_groups = { "smp", "locks", "alternatives", "ipi", "processes", "gc", "hotplug" };

        private static readonly string[] s_names = new string[MaxMeasurements];
        private static readonly ulong[] s_values = new ulong[MaxMeasurements];
        private static readonly string[] s_units = new string[MaxMeasurements];
        private static int s_count;

        /// <summary>The kernel option `bench` (all groups) or `bench=GROUP`.</summary>
        public static void RunAndExit(string group)
        {
            if (Run(group ?? "") == 0) Log.Warn("bench", $"bench='{group}': no such group, or it needs two CPUs online");
            EmulatorExit.Exit(GuestExitCode.Success);
        }

        /// <summary>
        /// Runs the groups whose name starts with <paramref name="group"/> ("" = all), then prints the table, the lock
        /// statistics and the BENCH line. Returns the number of measurements: 0 when no group matched.
        /// </summary>
        public static int Run(string group)
        {
            s_count = 0;
            Interrupts.Register(InterruptVectors.LatencyProbe, &OnProbe, takesBigKernelLock: false);
            Interrupts.Register(InterruptVectors.LatencyEcho, &OnEcho, takesBigKernelLock: false);
            CpuNative.EnableInterrupts();

            if (Wanted(group, "smp") && SmpBoot.BootApsStarted > 0)
            {
                Record("smp.bringup", SmpBoot.BootBringUpMicros, "us");
                Record("smp.bringup_per_ap", SmpBoot.BootBringUpMicros * 1000 / (ulong)SmpBoot.BootApsStarted, "ns");
            }
            if (Wanted(group, "locks"))
            {
                Record("spinlock.uncontended", LockUnlockCycles(useBkl: false), "cycles/op");
                Record("bkl.uncontended", LockUnlockCycles(useBkl: true), "cycles/op");
                for (int cpus = 2; cpus <= Cpus.OnlineCount; cpus++)
                    Record(string.Concat("spinlock.contended.", cpus.ToString(), "cpus"), Contended(cpus, useBkl: false), "ops/ms");
                for (int cpus = 2; cpus <= Cpus.OnlineCount; cpus++)
                    Record(string.Concat("bkl.contended.", cpus.ToString(), "cpus"), Contended(cpus, useBkl: true), "ops/ms");
                RecordLockWaits();
            }
            if (Wanted(group, "alternatives"))
            {
                if (Alternatives.Mode == AlternativesMode.Up && !Alternatives.TablesReleased) MeasureAlternatives();
                else Record(string.Concat("atomic.fetch_add.", MetricSuffix()), AtomicCycles(), "cycles/op");
            }
            if (Wanted(group, "ipi") && Cpus.OnlineCount > 1)
            {
                Record("ipi.raw_roundtrip", RawRoundTripCycles(), "cycles");
                Record("ipi.callon_roundtrip", CallOnRoundTripCycles(), "cycles");
                Record(string.Concat("ipi.broadcast_call.", Cpus.OnlineCount.ToString(), "cpus"), BroadcastCycles(), "cycles");
            }
            if (Wanted(group, "processes")) ProcessBenchmarks.Run();   // before hot-plug, which takes CPUs down and back up
            if (Wanted(group, "gc")) HeapBenchmarks.Run();
            if (Wanted(group, "hotplug") && Cpus.OnlineCount > 1) MeasureHotplug();
            if (s_count == 0) return 0;

            PrintTable();
            PrintLockStatistics();
            Console.WriteLine(Json());
            return s_count;
        }

        private static bool Wanted(string group, string name) => group == null || name.StartsWith(group);

        /// <summary>Whether some group's name starts with <paramref name="group"/> (every one does with "").</summary>
        public static bool NamesAGroup(string group)
        {
            for (int g = 0; g < s_groups.Length; g++)
                if (Wanted(group, s_groups[g])) return true;
            return false;
        }

        internal static void Record(string name, ulong value, string unit)
        {
            if (s_count == MaxMeasurements) return;
            s_names[s_count] = name;
            s_values[s_count] = value;
            s_units[s_count] = unit;
            s_count++;
        }

        private static SpinLock s_lock;

        private static ulong LockUnlockCycles(bool useBkl)
        {
            ulong start = Tsc.Read();
            for (int i = 0; i < UncontendedRounds; i++)
            {
                if (useBkl) { BigKernelLock.Enter(); BigKernelLock.Exit(); }
                else { s_lock.Acquire(); s_lock.Release(); }
            }
            return (Tsc.Read() - start) / UncontendedRounds;
        }

        private const int SwitchRoundTrips = 50;
        private static int s_word;

        // The measurement's name says which code it ran: tools/BenchReport reads up, smp and noalternatives.
        private static string MetricSuffix() => Alternatives.Mode == AlternativesMode.Up ? "up" : Alternatives.Mode == AlternativesMode.Smp ? "smp" : "noalternatives";

        // One CPU, tables present: the same C# atomic and spinlock, UP-patched and as built, against a plain read-modify-write.
        private static void MeasureAlternatives()
        {
            Record("plain.increment", PlainCycles(), "cycles/op");
            Record("atomic.fetch_add.up", AtomicCycles(), "cycles/op");
            Record("spinlock.up", LockUnlockCycles(useBkl: false), "cycles/op");
            UpSmpSwitch.ToSmp();
            Record("atomic.fetch_add.smp", AtomicCycles(), "cycles/op");
            Record("spinlock.smp", LockUnlockCycles(useBkl: false), "cycles/op");
            ulong toSmp = 0, toUp = 0;
            for (int i = 0; i < SwitchRoundTrips; i++)
            {
                UpSmpSwitch.ToUp();
                toUp += Alternatives.LastSwitchMicros;
                UpSmpSwitch.ToSmp();
                toSmp += Alternatives.LastSwitchMicros;
            }
            UpSmpSwitch.ToUp();
            Record("alternatives.switch_to_up", toUp / SwitchRoundTrips, "us");
            Record("alternatives.switch_to_smp", toSmp / SwitchRoundTrips, "us");
            Record("alternatives.lock_sites", (ulong)Alternatives.LockSiteCount, "sites");
            Record("alternatives.sequences", (ulong)Alternatives.SequenceCount, "sites");
        }

        private static ulong PlainCycles()
        {
            ulong start = Tsc.Read();
            for (int i = 0; i < UncontendedRounds; i++) Atomic.Write(ref s_word, Atomic.Read(ref s_word) + 1);
            return (Tsc.Read() - start) / UncontendedRounds;
        }

        private static ulong AtomicCycles()
        {
            ulong start = Tsc.Read();
            for (int i = 0; i < UncontendedRounds; i++) Atomic.FetchAdd(ref s_word, 1);
            return (Tsc.Read() - start) / UncontendedRounds;
        }

        private static int s_arrived;
        private static ulong s_deadline;
        private static long s_operations;
        private static bool s_useBkl;

        // The first `cpus` CPUs take and release one lock as fast as they can for ContendedMicros.
        private static ulong Contended(int cpus, bool useBkl)
        {
            s_arrived = 0;
            s_deadline = 0;
            s_operations = 0;
            s_useBkl = useBkl;
            CrossCpuCall.CallOnSet(CpuSet.FirstN(cpus), &Hammer, (void*)(ulong)cpus, timeoutMicros: 60_000_000);
            return (ulong)s_operations * 1000 / (ContendedMicros);
        }

        private static void Hammer(void* participants)
        {
            Atomic.Increment(ref s_arrived);
            while (Atomic.Read(ref s_arrived) < (int)(ulong)participants) CpuNative.Pause();
            if (KernelCpu.Current->Index == 0) Atomic.Write(ref s_deadline, Tsc.DeadlineAfter(ContendedMicros));
            while (Atomic.Read(ref s_deadline) == 0) CpuNative.Pause();
            long done = 0;
            while (Tsc.Read() < s_deadline)
            {
                if (s_useBkl) { BigKernelLock.Enter(); BigKernelLock.Exit(); }
                else { s_lock.Acquire(); s_lock.Release(); }
                done++;
            }
            Atomic.FetchAdd(ref s_operations, done);
        }

        private static int s_echoes;

        // CPU 0 sends a bare fixed IPI to CPU 1, whose handler answers with another; no kernel machinery in between.
        private static ulong RawRoundTripCycles()
        {
            uint target = Cpus.Get(1)->ApicId;
            s_echoes = 0;
            ulong start = Tsc.Read();
            for (int i = 1; i <= RoundTrips; i++)
            {
                LocalApic.SendIpi(target, IpiDelivery.Fixed, InterruptVectors.LatencyProbe);
                while (Atomic.Read(ref s_echoes) < i) CpuNative.Pause();
            }
            return (Tsc.Read() - start) / RoundTrips;
        }

        private static void OnProbe(TrapFrame* frame) =>
            LocalApic.SendIpi(Cpus.Get(0)->ApicId, IpiDelivery.Fixed, InterruptVectors.LatencyEcho);

        private static void OnEcho(TrapFrame* frame) => Atomic.Increment(ref s_echoes);

        private static ulong CallOnRoundTripCycles()
        {
            ulong start = Tsc.Read();
            for (int i = 0; i < RoundTrips; i++) CrossCpuCall.CallOn(1, &Nothing, null);
            return (Tsc.Read() - start) / RoundTrips;
        }

        private static ulong BroadcastCycles()
        {
            ulong start = Tsc.Read();
            for (int i = 0; i < RoundTrips; i++) CrossCpuCall.CallOnAll(&Nothing, null, includeSelf: false);
            return (Tsc.Read() - start) / RoundTrips;
        }

        private static void Nothing(void* unused) { }

        private const int StopMachineRounds = 20;

        // stop_machine latency with N, N-1, ... 2 CPUs online (taking the highest AP down each time, timed), then every AP back up (timed).
        private static void MeasureHotplug()
        {
            int cpus = Cpus.OnlineCount;
            for (int online = cpus; online >= 2; online--)
            {
                ulong start = Tsc.Read();
                for (int i = 0; i < StopMachineRounds; i++) StopMachine.Run(&Nothing, null, CpuSet.Of(0));
                Record(string.Concat("stop_machine.", online.ToString(), "cpus"), Tsc.ToMicroseconds(Tsc.Read() - start) / StopMachineRounds, "us");
                CpuHotplug.CpuDown(online - 1);
                Record(string.Concat("cpu_down.to_", (online - 1).ToString(), "cpus"), CpuHotplug.LastDownMicros, "us");
            }
            for (int cpu = 1; cpu < cpus; cpu++)
            {
                CpuHotplug.CpuUp(cpu);
                Record(string.Concat("cpu_up.to_", (cpu + 1).ToString(), "cpus"), CpuHotplug.LastUpMicros, "us");
            }
        }

        private static void PrintTable()
        {
            Console.WriteLine(new TextBuilder().Append("BENCH results (").Append((ulong)Cpus.OnlineCount).Append(" CPUs, TSC ")
                .Append(Tsc.Hz / 1_000_000).Append(" MHz):").ToString());
            for (int i = 0; i < s_count; i++)
                Console.WriteLine(new TextBuilder().Append("  ").AppendPadded(s_names[i], 32).AppendPadded(s_values[i].ToString(), 12)
                    .Append(s_units[i]).ToString());
        }

        // What the contended runs cost in halts and kicks: the hand-off rate past the host's cores is bounded by the kick's latency.
        private static void RecordLockWaits()
        {
            WaitRecord total = SpinThenHalt.Totals();
            Record("lock.halts", total.Halts, "halts");
            Record("lock.kicks", total.KicksSent, "kicks");
            if (total.KickLatencies == 0) return;
            Record("kick.latency", Tsc.ToMicroseconds(total.KickLatencyCycles / total.KickLatencies), "us");
            Record("kick.latency_max", Tsc.ToMicroseconds(total.LongestKickLatency), "us");
        }

        private static void PrintLockStatistics()
        {
            Console.WriteLine("BENCH big kernel lock, per CPU: acquisitions, contended, wait cycles, longest wait");
            for (int cpu = 0; cpu < Cpus.Count; cpu++)
            {
                LockStatistics stats = BigKernelLock.StatisticsOf(cpu);
                Console.WriteLine(new TextBuilder().Append("  CPU ").AppendPadded(cpu.ToString(), 4)
                    .AppendPadded(stats.Acquisitions.ToString(), 12).AppendPadded(stats.Contended.ToString(), 12)
                    .AppendPadded(stats.WaitCycles.ToString(), 16).Append(stats.LongestWait).ToString());
            }
        }

        private static string Json()
        {
            var json = new TextBuilder().Append("BENCH {\"cpus\":").Append((ulong)Cpus.OnlineCount)
                .Append(",\"tsc_hz\":").Append(Tsc.Hz).Append(",\"results\":[");
            for (int i = 0; i < s_count; i++)
            {
                if (i > 0) json.Append(',');
                json.Append("{\"name\":\"").Append(s_names[i]).Append("\",\"value\":").Append(s_values[i])
                    .Append(",\"unit\":\"").Append(s_units[i]).Append("\"}");
            }
            json.Append("],\"bkl\":[");
            for (int cpu = 0; cpu < Cpus.Count; cpu++)
            {
                LockStatistics stats = BigKernelLock.StatisticsOf(cpu);
                if (cpu > 0) json.Append(',');
                json.Append("{\"cpu\":").Append((ulong)cpu).Append(",\"acquisitions\":").Append(stats.Acquisitions)
                    .Append(",\"contended\":").Append(stats.Contended).Append(",\"wait_cycles\":").Append(stats.WaitCycles)
                    .Append(",\"longest_wait\":").Append(stats.LongestWait).Append('}');
            }
            return json.Append("]}").ToString();
        }
    }
}

using Kernel.Arch;
using Kernel.Lib;
using Kernel.SelfTest;
using Kernel.Smp;
using Kernel.Sync;

namespace Kernel.SelfTests
{
    /// <summary>
    /// Hot-plug torture: `torture.transitions` random CPU downs and ups (default 10; e.g.
    /// `selftest=hotplug-torture torture.transitions=10000` for a long run). During each transition every other
    /// online AP runs load (IdleWork, interrupts on): a shared counter under a spinlock and calls to the boot
    /// CPU. After each: the load's counter exact and every call answered, then the invariants — locks exact
    /// under torture, every online CPU answers a call, alternatives mode matching the CPU count, text exact.
    /// Ends with every CPU back online.
    /// </summary>
    [SelfTestSuite("hotplug-torture")]
    public static unsafe class HotplugTorture
    {
        private const int CallEvery = 64;

        private static SpinLock s_loadLock;
        private static int s_stop, s_running, s_finished, s_plainCounter, s_callsAnswered;
        private static long s_increments, s_callsMade;
        private static ulong s_loadTotal;

        // Load on every online AP but the one changing state: returns how many CPUs took it.
        private static int StartLoad(int changing)
        {
            s_stop = s_finished = s_plainCounter = s_callsAnswered = 0;
            s_increments = s_callsMade = 0;
            int started = 0;
            for (int cpu = 1; cpu < Cpus.Count; cpu++)
                if (cpu != changing && IdleWork.Start(cpu, &Load)) started++;
            ulong deadline = Tsc.Read() + 2 * Tsc.Hz;
            while (Atomic.Read(ref s_running) < started && Tsc.Read() < deadline) CpuNative.Pause();
            return started;
        }

        private static void StopLoad(int started)
        {
            Atomic.Write(ref s_stop, 1);
            ulong deadline = Tsc.Read() + 10 * Tsc.Hz;
            while (Atomic.Read(ref s_finished) < started && Tsc.Read() < deadline) CpuNative.Pause();
            s_running = 0;
            Assert.Equal((ulong)started, (ulong)Atomic.Read(ref s_finished), "every CPU under load finished it");
            Assert.Equal((ulong)s_increments, (ulong)s_plainCounter, "no increment under the spinlock was lost during the transition");
            Assert.Equal((ulong)s_callsMade, (ulong)Atomic.Read(ref s_callsAnswered), "every call made during the transition was answered");
            s_loadTotal += (ulong)s_increments;
        }

        // Runs on an AP with interrupts on until told to stop.
        private static void Load()
        {
            Atomic.Increment(ref s_running);
            long increments = 0, calls = 0;
            while (Atomic.Read(ref s_stop) == 0)
            {
                s_loadLock.Acquire();
                s_plainCounter++;
                s_loadLock.Release();
                if (++increments % CallEvery == 0 && CrossCpuCall.CallOn(0, &Answer, null)) calls++;
            }
            Atomic.FetchAdd(ref s_increments, increments);
            Atomic.FetchAdd(ref s_callsMade, calls);
            Atomic.Increment(ref s_finished);
        }

        private static void Answer(void* unused) => Atomic.Increment(ref s_callsAnswered);

        [SelfTest]
        public static void RandomTransitionsKeepEveryInvariant()
        {
            if (Cpus.Count == 1) Assert.Skip("one CPU: nothing to take down");
            ulong transitions = 10;
            if (KernelMain.Options.TryGetValue("torture.transitions", out string text) && !(Format.TryParseUnsigned(text, out transitions) && transitions > 0))
                Assert.Fail("torture.transitions must be a positive count");

            s_loadTotal = 0;
            ulong random = Tsc.Read() | 1;
            ulong start = Tsc.Read();
            for (ulong i = 0; i < transitions; i++)
            {
                random ^= random << 13;
                random ^= random >> 7;
                random ^= random << 17;
                int cpu = 1 + (int)(random % (ulong)(Cpus.Count - 1));
                bool online = Cpus.Get(cpu)->CpuState == CpuState.Online;
                int loaded = StartLoad(cpu);
                HotplugResult result = online ? CpuHotplug.CpuDown(cpu) : CpuHotplug.CpuUp(cpu);
                StopLoad(loaded);
                Assert.True(result == HotplugResult.Done, online ? "down" : "up");
                HotplugTests.CheckInvariants();
                if (Alternatives.Mode != AlternativesMode.Off) Assert.EqualHex(0, Alternatives.FindMismatch(), "text exact after the transition");
            }
            for (int cpu = 1; cpu < Cpus.Count; cpu++)
                if (Cpus.Get(cpu)->CpuState != CpuState.Online) Assert.True(CpuHotplug.CpuUp(cpu) == HotplugResult.Done, "everyone back");

            ulong millis = Tsc.ToMicroseconds(Tsc.Read() - start) / 1000;
            SelfTestRunner.Note(new TextBuilder().Append(transitions).Append(" transitions on ").Append((ulong)Cpus.Count)
                .Append(" CPUs in ").Append(millis).Append(" ms under load (").Append(s_loadTotal).Append(" locked increments), 0 violations").ToString());
        }
    }
}

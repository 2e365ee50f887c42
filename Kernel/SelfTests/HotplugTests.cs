using Kernel.Arch;
using Kernel.Smp;
using Kernel.Sync;
using Kernel.Testing;

namespace Kernel.SelfTests
{
    /// <summary>Logical CPU hot-plug: down and up again, down to one CPU and back, and every step's rollback.</summary>
    [SelfTestSuite("hotplug")]
    public static unsafe class HotplugTests
    {
        private const ulong BurstMicros = 50_000;
        private const byte RouteProbeIrq = 7;   // an ISA line nothing uses: routed at the departing CPU to give RetargetInterrupts work
        private static int s_ran;

        [SelfTest]
        public static void RefusesTheBootCpuAndNonsense()
        {
            Assert.True(CpuHotplug.CpuDown(0) == HotplugResult.BootCpu, "the boot CPU stays");
            Assert.True(CpuHotplug.CpuDown(Cpus.Capacity + 1) == HotplugResult.NoSuchCpu, "no such CPU");
            Assert.True(CpuHotplug.CpuUp(0) == HotplugResult.AlreadyOnline, "already online");
        }

        [SelfTest]
        public static void EveryApGoesDownAndComesBackUnderLoad()
        {
            RequireAps();
            for (int round = 0; round < 2; round++)
                for (int cpu = 1; cpu < Cpus.Count; cpu++)
                {
                    if (!IsOnline(cpu)) continue;   // an AP that never answered at boot (test.ghost-ap) stays out
                    int online = Cpus.OnlineCount;
                    Assert.True(CpuHotplug.CpuDown(cpu) == HotplugResult.Done, "down");
                    Assert.True(Cpus.Get(cpu)->CpuState == CpuState.Parked, "parked");
                    Assert.Equal((ulong)(online - 1), (ulong)Cpus.OnlineCount, "one fewer online");
                    Assert.False(CrossCpuCall.CallOn(cpu, &CountRun, null), "a CPU that is down takes no calls");
                    CheckInvariants();
                    Assert.True(CpuHotplug.CpuUp(cpu) == HotplugResult.Done, "up");
                    Assert.Equal((ulong)online, (ulong)Cpus.OnlineCount, "back online");
                    CheckInvariants();
                }
        }

        [SelfTest]
        public static void DownToOneCpuIsUpModeAndBackIsSmp()
        {
            RequireAps();
            if (Alternatives.TablesReleased || Alternatives.Mode == AlternativesMode.Off) Assert.Skip("no alternatives tables");
            for (int cpu = 1; cpu < Cpus.Count; cpu++) if (IsOnline(cpu)) Assert.True(CpuHotplug.CpuDown(cpu) == HotplugResult.Done, "down");
            Assert.True(Alternatives.Mode == AlternativesMode.Up, "one CPU left: UP mode");
            Assert.EqualHex(0, Alternatives.FindMismatch(), "UP text exact");
            CheckInvariants();
            for (int cpu = 1; cpu < Cpus.Count; cpu++) if (IsParked(cpu)) Assert.True(CpuHotplug.CpuUp(cpu) == HotplugResult.Done, "up");
            Assert.True(Alternatives.Mode == AlternativesMode.Smp, "SMP again");
            Assert.EqualHex(0, Alternatives.FindMismatch(), "SMP text exact");
            CheckInvariants();
        }

        [SelfTest]
        public static void EveryFailedStepRollsBackToExactlyBefore()
        {
            RequireAps();
            int victim = Cpus.Count - 1;
            while (victim > 0 && (!IsOnline(victim) || Cpus.Get(victim)->ApicId > IoApic.MaxDestination)) victim--;   // a device interrupt must be able to name it
            if (victim == 0) Assert.Skip("no online AP with an APIC ID an I/O APIC entry can name");
            for (HotplugStep step = HotplugStep.DrainCalls; step <= HotplugStep.SwitchToUp; step++)
            {
                // The last step only runs when the victim is the last AP: take the others down first for it.
                if (step == HotplugStep.SwitchToUp) for (int cpu = 1; cpu < victim; cpu++) if (IsOnline(cpu)) Assert.True(CpuHotplug.CpuDown(cpu) == HotplugResult.Done, "others down");
                IoApic.RouteIsaIrq(RouteProbeIrq, InterruptVectors.DeviceBase, Cpus.Get(victim)->ApicId, masked: true);
                AlternativesMode mode = Alternatives.Mode;
                int online = Cpus.OnlineCount;
                CpuHotplug.FailOnce(step);
                Assert.True(CpuHotplug.CpuDown(victim) == HotplugResult.StepFailed, CpuHotplug.StepName(step));
                ExpectUnchanged(victim, online, mode);
                IoApic.ResolveIsaIrq(RouteProbeIrq, out uint gsi, out _, out _);
                if (IoApic.ForGsi(gsi) != null)
                    Assert.Equal(Cpus.Get(victim)->ApicId, IoApic.ForGsi(gsi).Destination(gsi), "the retargeted interrupt points at the CPU again");
            }
            Assert.True(CpuHotplug.CpuDown(victim) == HotplugResult.Done, "down for the up-path faults");
            for (HotplugStep step = HotplugStep.SwitchToSmp; step <= HotplugStep.Start; step++)
            {
                AlternativesMode mode = Alternatives.Mode;
                int online = Cpus.OnlineCount;
                CpuHotplug.FailOnce(step);
                Assert.True(CpuHotplug.CpuUp(victim) == HotplugResult.StepFailed, CpuHotplug.StepName(step));
                Assert.True(Cpus.Get(victim)->CpuState == CpuState.Parked, "still parked");
                Assert.Equal((ulong)online, (ulong)Cpus.OnlineCount, "online count unchanged");
                Assert.True(Alternatives.Mode == mode, "alternatives mode unchanged");
                Assert.EqualHex(0, Alternatives.FindMismatch(), "text exact");
            }
            for (int cpu = 1; cpu < Cpus.Count; cpu++)
                if (IsParked(cpu)) Assert.True(CpuHotplug.CpuUp(cpu) == HotplugResult.Done, "everyone back");
            CheckInvariants();
        }

        private static void ExpectUnchanged(int cpu, int online, AlternativesMode mode)
        {
            Assert.True(Cpus.Get(cpu)->CpuState == CpuState.Online, "the CPU is online again");
            Assert.Equal((ulong)online, (ulong)Cpus.OnlineCount, "online count unchanged");
            Assert.True(Alternatives.Mode == mode, "alternatives mode unchanged");
            Assert.EqualHex(0, Alternatives.FindMismatch(), "text exact");
            s_ran = 0;
            Assert.True(CrossCpuCall.CallOn(cpu, &CountRun, null) && s_ran == 1, "it takes calls");
        }

        /// <summary>
        /// test.straggler: the CPU taken down leaves the online set but never reports dead. It may still be running, so
        /// it must get nothing back (processes, interrupts), no INIT, and no UP switch around it (issue 15, defect 2).
        /// </summary>
        [SelfTest]
        public static void AStragglerGetsNothingBackAndNoUpSwitch()
        {
            if (!KernelMain.Options.Has("test.straggler")) Assert.Skip("needs test.straggler");
            RequireAps();
            int victim = ProcessKit.HighestOnlineCpu();
            KernelCpu* straggler = Cpus.Get(victim);
            Assert.True(CpuHotplug.CpuDown(victim) == HotplugResult.StepFailed, "the down fails: it never reported dead");
            Assert.True(IsParked(victim) && Atomic.Read(ref straggler->ReportedDead) == 0, "it is out of the online set, not known dead");
            Assert.False(Proc.Scheduler.Usable.Contains(victim), "no process may be placed on it");
            for (int i = 0; i < IoApic.All.Length; i++)
                for (uint gsi = IoApic.All[i].GsiBase; gsi < IoApic.All[i].GsiBase + IoApic.All[i].EntryCount; gsi++)
                    Assert.True((IoApic.All[i].ReadEntry(gsi) & MaskedEntry) != 0 || IoApic.All[i].Destination(gsi) != straggler->ApicId, "no device interrupt goes to it");
            if (Alternatives.Mode != AlternativesMode.Off)
                Assert.True(Alternatives.Mode == AlternativesMode.Smp && !UpSmpSwitch.ToUp(), "the code stays SMP while it may run");
            Assert.True(CpuHotplug.CpuUp(victim) == HotplugResult.StepFailed, "it is not restarted (INIT could catch it holding a lock)");
            Assert.True(IsParked(victim), "it stays out");
        }

        private const ulong MaskedEntry = 1UL << 16;   // redirection entry bit 16 (82093AA datasheet §3.2.4)

        /// <summary>What must hold after any transition: locks exact under load, every online CPU answers, alternatives match the CPU count.</summary>
        public static void CheckInvariants()
        {
            LockTorture.Hammer(BurstMicros);
            s_ran = 0;
            Assert.True(CrossCpuCall.CallOnAll(&CountRun, null, includeSelf: true), "every online CPU answered");
            Assert.Equal((ulong)Cpus.OnlineCount, (ulong)Atomic.Read(ref s_ran), "each exactly once");
            if (Alternatives.Mode != AlternativesMode.Off)
                Assert.True((Alternatives.Mode == AlternativesMode.Up) == (Cpus.OnlineCount == 1), "UP exactly when one CPU is online");
        }

        private static void RequireAps()
        {
            if (Cpus.OnlineCount == 1) Assert.Skip("one CPU: no AP to take down");
        }

        private static bool IsOnline(int cpu) => Cpus.Get(cpu)->CpuState == CpuState.Online;
        private static bool IsParked(int cpu) => Cpus.Get(cpu)->CpuState == CpuState.Parked;

        private static void CountRun(void* unused) => Atomic.Increment(ref s_ran);
    }
}

using Kernel.Arch;
using Kernel.Smp;
using Kernel.Sync;
using Kernel.Testing;

namespace Kernel.SelfTests
{
    /// <summary>The kernel rewriting its own text: the mode, every byte of the text, and the locks after each switch.</summary>
    [SelfTestSuite("alternatives")]
    public static unsafe class AlternativesTests
    {
        private const int AlternatingSwitches = 1000;

        [SelfTest]
        public static void ModeFollowsTheOnlineCpus()
        {
            if (Alternatives.Mode == AlternativesMode.Off) Assert.Skip("noalternatives: the code runs as built");
            Assert.True((Alternatives.Mode == AlternativesMode.Up) == (Cpus.OnlineCount == 1), "UP exactly when one CPU is online");
        }

        [SelfTest]
        public static void TextMatchesTheImageExceptAtSites()
        {
            RequireTables();
            Assert.EqualHex(0, Alternatives.FindMismatch(), "every site holds its expected bytes and every other byte is as built");
        }

        [SelfTest]
        public static void FeatureVariantsFollowCpuid()
        {
            if (Alternatives.Mode == AlternativesMode.Off) Assert.Skip("noalternatives: no feature variant applied");
            bool sse2 = Cpuid.HasSse2;
            Assert.True(Alternatives.FeatureChosen(AltFeature.Sse2) == sse2, "the fence is MFENCE exactly when CPUID reports SSE2");
            Assert.True(Alternatives.FeatureChosen(AltFeature.X2Apic) == LocalApic.X2ApicMode, "EOI uses the MSR exactly in x2APIC mode");
            if (Alternatives.TablesReleased) return;
            byte* fence = (byte*)Alternatives.SiteOf(AltFeature.Sse2, AltKind.Feature);
            if (sse2) Assert.True(fence[0] == 0x0F && fence[1] == 0xAE && fence[2] == 0xF0, "cpu_full_fence starts with MFENCE (0F AE F0)");
            else Assert.True(fence[0] == 0xF0 && fence[1] == 0x83, "cpu_full_fence is lock or [rsp], 0");
        }

        [SelfTest]
        public static void TheX2ApicIcrWriteIsFencedExceptOnAmd()
        {
            if (Alternatives.Mode == AlternativesMode.Off) Assert.Skip("noalternatives: the fence stays as built");
            bool unfenced = LocalApic.X2ApicMode && Cpuid.IsAmd;
            Assert.True(Alternatives.FeatureChosen(AltFeature.ApicMsrWritesOrdered) == unfenced, "the ICR fence is dropped exactly for an AMD CPU in x2APIC mode");
            if (Alternatives.TablesReleased) return;
            byte* site = (byte*)Alternatives.SiteOf(AltFeature.ApicMsrWritesOrdered, AltKind.Feature);
            Assert.True(site != null, "lapic_write_x2apic_icr has a fence site");
            if (unfenced) Assert.True(site[0] == 0x90 && site[5] == 0x90, "the fence is NOPs");
            else Assert.True(site[0] == 0x0F && site[1] == 0xAE && site[2] == 0xF0 && site[3] == 0x0F && site[4] == 0xAE && site[5] == 0xE8,
                             "mfence (0F AE F0) then lfence (0F AE E8) before the WRMSR");
        }

        [SelfTest]
        public static void AThousandAlternatingSwitchesLeaveTheTextAsBuilt()
        {
            RequireTables();
            if (Cpus.OnlineCount != 1) Assert.Skip("needs exactly one CPU online (boot with -smp 1,maxcpus=N or maxcpus=1)");
            for (int i = 0; i < AlternatingSwitches; i++)
            {
                Assert.True(UpSmpSwitch.ToSmp(), "to SMP");
                if (i % 100 == 0) Assert.EqualHex(0, Alternatives.FindMismatch(), "SMP text exact");
                Assert.True(UpSmpSwitch.ToUp(), "to UP");
                if (i % 100 == 0) Assert.EqualHex(0, Alternatives.FindMismatch(), "UP text exact");
            }
            Assert.True(UpSmpSwitch.ToSmp(), "to SMP");
            Assert.EqualHex(0, Alternatives.FindMismatch(), "after 2,000 switches the text is the image as built (feature sites aside)");
            Assert.True(UpSmpSwitch.ToUp(), "back to UP");
            Assert.EqualHex(0, Alternatives.FindMismatch(), "and UP again");
        }

        [SelfTest]
        public static void LocksAndCallsStayCorrectAcrossAUpSmpRoundTrip()
        {
            RequireTables();
            int cpus = Cpus.Count;
            for (int cpu = 1; cpu < cpus; cpu++) StopAndWait(cpu);
            Assert.True(UpSmpSwitch.ToUp(), "one CPU left: UP");
            Assert.EqualHex(0, Alternatives.FindMismatch(), "UP text exact");
            LockTorture.LocksStayExactUnderRandomLoad();
            SyncTests.SpinLockMakesAPlainCounterExact();

            if (cpus == 1) Assert.True(UpSmpSwitch.ToSmp(), "SMP with no AP to start");
            for (int cpu = 1; cpu < cpus; cpu++) Assert.True(SmpBoot.Restart(cpu), "AP restarted (SMP restored first)");
            Assert.True(Alternatives.Mode == AlternativesMode.Smp, "SMP mode");
            Assert.EqualHex(0, Alternatives.FindMismatch(), "SMP text exact");
            LockTorture.LocksStayExactUnderRandomLoad();
            SyncTests.SpinLockMakesAPlainCounterExact();
            SyncTests.BigKernelLockMakesAPlainCounterExact();
            if (cpus == 1) Assert.True(UpSmpSwitch.ToUp(), "back to UP");
        }

        private static void RequireTables()
        {
            if (Alternatives.Mode == AlternativesMode.Off) Assert.Skip("noalternatives: the code runs as built");
            if (Alternatives.TablesReleased) Assert.Skip("no CPU can ever join, so the SMP tables were released at boot");
        }

        private static void StopAndWait(int cpu)
        {
            // A stop IPI freezes whatever runs there; the scheduler must have moved its processes away first.
            Assert.True(Proc.Scheduler.Evacuate(cpu, 10_000_000), "its processes moved away");
            Assert.True(Ipi.Send(cpu, IpiKind.Stop), "stop sent");
            ulong deadline = Tsc.Read() + 2 * Tsc.Hz;
            while (Cpus.Get(cpu)->CpuState != CpuState.Parked && Tsc.Read() < deadline) CpuNative.Pause();
            Assert.True(Cpus.Get(cpu)->CpuState == CpuState.Parked, "the AP parked");
        }
    }
}

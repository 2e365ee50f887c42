using Kernel.Arch;
using Kernel.Arch.Acpi;
using Kernel.Lib;
using Kernel.Smp;
using Kernel.Sync;
using Kernel.Testing;

namespace Kernel.SelfTests
{
    /// <summary>Every CPU the firmware reports is running kernel code, with its own identity, data and timer.</summary>
    [SelfTestSuite("smp")]
    public static unsafe class SmpTests
    {
        private struct Identity
        {
            public uint CpuidApicId, LapicId, Index, TablesDiffer;
            public uint Arriving;                              // 1: called between coming online and taking processes
            public ulong GsBase, Rsp, StackBottom, StackTop;   // the stack of the thread the call interrupted
            public ulong ApicBase;                             // IA32_APIC_BASE
        }

        private static Identity* s_identities;

        [SelfTest]
        public static void OnlineCountMatchesTheMadt()
        {
            int usable = 0;
            var cpus = AcpiFirmware.Madt.Cpus;
            for (int i = 0; i < cpus.Length; i++) if (cpus[i].Enabled) usable++;
            if (usable == 0) usable = 1;   // no MADT (acpi=off, or none found): the boot CPU alone
            int expected = usable < SmpBoot.Limit ? usable : SmpBoot.Limit;
            Assert.Equal((ulong)Cpus.OnlineSet.Count, (ulong)Cpus.OnlineCount, "the online count agrees with the CPUs' states");
            if (QemuCpuHotplug.EventsHandled > 0) return;   // hot-plug changed the set since boot: the MADT no longer says
            int failed = Failed(ghosts: false);   // listed CPUs that did not answer in time (test.late-ap makes one); the host checks the count
            Assert.Equal((ulong)(expected - failed), (ulong)Cpus.OnlineCount, "online CPUs = MADT enabled CPUs, capped by maxcpus/nosmp, but those that did not answer");
            Assert.Equal((ulong)(Cpus.Count - failed - Failed(ghosts: true)), (ulong)Cpus.OnlineCount, "every CPU started came online or was reported (and a test.ghost-ap failed)");
        }

        private static int Failed(bool ghosts)
        {
            int count = 0;
            for (int i = 0; i < Cpus.Count; i++)
                if ((Cpus.Get(i)->Arch.AcpiUid == SmpBoot.GhostUid) == ghosts && Cpus.Get(i)->CpuState == CpuState.Failed) count++;
            return count;
        }

        [SelfTest]
        public static void EveryCpuRunsAFunctionAndKnowsItself()
        {
            s_identities = (Identity*)Scratch.Allocate((ulong)(sizeof(Identity) * Cpus.Count));
            for (int i = 0; i < Cpus.Count; i++)
                if (Online(i)) Assert.True(CrossCpuCall.CallOn(i, &RecordIdentity, &s_identities[i]), "the CPU ran the function");
            uint arriving = 0;
            for (int i = 0; i < Cpus.Count; i++)
            {
                if (!Online(i)) continue;
                KernelCpu* cpu = Cpus.Get(i);
                arriving += s_identities[i].Arriving;
                Assert.Equal((ulong)i, s_identities[i].Index, "GS-based index matches the CPU asked");
                Assert.Equal(cpu->ApicId, s_identities[i].CpuidApicId, "CPUID's APIC ID matches the MADT's");
                Assert.Equal(cpu->ApicId, s_identities[i].LapicId, "the local APIC's ID register matches the MADT's");
                Assert.EqualHex((ulong)cpu, s_identities[i].GsBase, "GS base points at the CPU's own block");
                Assert.True(s_identities[i].Rsp < s_identities[i].StackTop && s_identities[i].Rsp > s_identities[i].StackBottom, "runs on the stack of the thread it interrupted there");
                Assert.Equal(0ul, s_identities[i].TablesDiffer, "its GDT and TSS are its own");
                Assert.True((s_identities[i].ApicBase & ApicBaseEnable) != 0, "its local APIC is enabled (IA32_APIC_BASE.EN)");
                Assert.True(((s_identities[i].ApicBase & ApicBaseExtended) != 0) == LocalApic.X2ApicMode, "its local APIC runs in the mode the boot CPU chose (IA32_APIC_BASE.EXTD)");
                for (int j = 0; j < i; j++)
                    if (Online(j)) Assert.True(s_identities[j].GsBase != s_identities[i].GsBase, "per-CPU blocks are distinct");
            }
            if (arriving > 0) SelfTestRunner.Note(TextBuffer.Of($"{arriving} CPUs answered before they took the big kernel lock"));   // test.arrival-window
        }

        private static void RecordIdentity(void* slot)
        {
            var identity = (Identity*)slot;
            KernelCpu* cpu = KernelCpu.Current;
            identity->Index = cpu->Index;
            identity->CpuidApicId = Cpuid.ApicId;
            identity->LapicId = LocalApic.Id;
            identity->GsBase = Msrs.Read(Msr.Ia32GsBase);
            identity->ApicBase = Msrs.Read(Msr.Ia32ApicBase);
            identity->Rsp = CpuNative.ReadRsp();
            identity->Arriving = Proc.Scheduler.IsUsable((int)cpu->Index) ? 0u : 1u;
            Proc.Process interrupted = Proc.Scheduler.Current;   // an arriving CPU's idle thread, too
            identity->StackBottom = interrupted.StackBottom;
            identity->StackTop = interrupted.StackTop;
            for (int other = 0; other < Cpus.Count; other++)
                if (other != (int)cpu->Index && Cpus.Get(other)->Arch.Tables == cpu->Arch.Tables) identity->TablesDiffer = 1;
        }

        private const ulong ApicBaseEnable = 1UL << 11, ApicBaseExtended = 1UL << 10;   // SDM Vol. 3A §11.12.1, Figure 11-26

        [SelfTest]
        public static void X2ApicModeWheneverTheCpuOffersItUnlessNox2apic()
        {
            bool offered = (Cpuid.Query(1).Ecx & (1u << 21)) != 0;
            bool requestedXApic = KernelMain.Options.Has("nox2apic");
            if (requestedXApic && offered && ApicMode.HighestUsableApicId(AcpiFirmware.Madt.Cpus, Cpus.Get(0)->ApicId) <= ApicMode.MaxXApicId)
                Assert.False(LocalApic.X2ApicMode, "nox2apic: xAPIC mode");
            else Assert.True(LocalApic.X2ApicMode == offered, "x2APIC mode exactly when CPUID.01H:ECX[21] offers it");
        }

        [SelfTest]
        public static void PerCpuDataIsPrivate()
        {
            var before = (ulong*)Scratch.Allocate((ulong)(sizeof(ulong) * Cpus.Count));
            for (int i = 0; i < Cpus.Count; i++) before[i] = Cpus.Get(i)->CallsServed;
            Assert.True(CrossCpuCall.CallOnAll(&Nothing, null, includeSelf: false), "every other CPU ran the call");
            // Each CPU counts the calls it served in its own block, found through GS: one call each, no more, no less.
            for (int i = 1; i < Cpus.Count; i++)
                Assert.Equal(before[i] + (Online(i) ? 1UL : 0UL), Cpus.Get(i)->CallsServed, "the CPU's own counter moved by exactly one");
            Assert.Equal(before[0], Cpus.Get(0)->CallsServed, "the caller's counter did not move");
        }

        private static void Nothing(void* unused) { }

        private struct TimerSample
        {
            public ulong TscTicks, ApicTicks;
        }

        private const ulong SampleMicros = 100_000;

        [SelfTest]
        public static void LocalApicTimerRunsAtTheCalibratedRateOnEveryCpu()
        {
            s_samples = (TimerSample*)Scratch.Allocate((ulong)(sizeof(TimerSample) * Cpus.Count));
            Assert.True(CrossCpuCall.CallOnAll(&SampleTimer, null, includeSelf: true), "every CPU sampled its timer");
            TimerSample* samples = s_samples;
            for (int i = 0; i < Cpus.Count; i++)
            {
                if (!Online(i)) continue;
                // Timer count-down rate against the TSC over the same window: within 10 % of the calibration.
                ulong expected = LocalApicTimer.Hz * Tsc.ToMicroseconds(samples[i].TscTicks) / 1_000_000;
                ulong measured = samples[i].ApicTicks;
                var what = new TextBuffer();
                what.Append("CPU ");
                what.AppendDecimal(i);
                what.Append(": APIC timer counted ");
                what.AppendDecimal(measured);
                what.Append(", expected ");
                what.AppendDecimal(expected);
                what.Append(" +-10%");
                Assert.True(measured * 10 >= expected * 9 && measured * 10 <= expected * 11, what.ToString());
            }
        }

        private static TimerSample* s_samples;

        // Runs on every CPU at once, inside the call: lets its timer count down from the top (no reload to miss,
        // however long the host deschedules this vCPU), reads it against the TSC, then restores the tick.
        private static void SampleTimer(void* unused)
        {
            TimerSample* sample = &s_samples[KernelCpu.Current->Index];
            LocalApic.StartFreeRunningTimer();
            ReadTogether(out ulong tsc0, out uint count0);
            while (Tsc.ToMicroseconds(Tsc.Read() - tsc0) < SampleMicros) CpuNative.Pause();
            ReadTogether(out ulong tsc1, out uint count1);
            sample->TscTicks = tsc1 - tsc0;
            sample->ApicTicks = count0 - count1;
            LocalApicTimer.StartThisCpu();
        }

        // A TSC value and a timer count taken at (nearly) the same instant: retried until the TSC reads around
        // the count are close, so a host descheduling the vCPU between the two reads cannot skew the pair.
        private static void ReadTogether(out ulong tsc, out uint count)
        {
            ulong window = Tsc.Hz / 10_000;    // 100 µs
            for (int attempt = 0; ; attempt++)
            {
                ulong before = Tsc.Read();
                count = LocalApic.TimerCurrentCount;
                ulong after = Tsc.Read();
                tsc = before + (after - before) / 2;
                if (after - before <= window || attempt == 100) return;
            }
        }

        [SelfTest]
        public static void ExceptionOnAnApNamesThatCpu()
        {
            if (Cpus.OnlineCount == 1) Assert.Skip("one CPU: no AP to fault on");
            for (int i = 1; i < Cpus.Count; i++)
            {
                if (!Online(i)) continue;
                CaughtFault* fault = (CaughtFault*)Scratch.Allocate((ulong)sizeof(CaughtFault));
                Assert.True(CrossCpuCall.CallOn(i, &FaultHere, fault), "the AP ran the function");
                Assert.Equal((ulong)ExceptionVector.InvalidOpcode, fault->Vector, "the AP took #UD");
                var expected = new TextBuffer();
                expected.Append("(vector 6) on CPU ");
                expected.AppendDecimal(i);
                Assert.Contains(fault->ReportText, expected.ToString(), "the report names the AP");
            }
        }

        private static bool Online(int index) => Cpus.Get(index)->CpuState == CpuState.Online;

        private static void FaultHere(void* fault) => FaultCatcher.Catch(&InvalidOpcode, null, (CaughtFault*)fault);
        private static void InvalidOpcode(void* unused) => CpuNative.ProbeInvalidOpcode();
    }
}

using Kernel.Arch.Acpi;
using Kernel.Arch;
using Kernel.Memory;
using Kernel.Sync;
using Kernel.Lib;

namespace Kernel.Smp
{
    /// <summary>
    /// Starts the application processors the MADT lists as enabled, all at once: INIT to every AP, one
    /// wait, then two STARTUP IPIs each, then a bounded wait for each to mark itself online (SDM Vol. 3A
    /// §9.4.4.1 "Typical BSP Initialization Sequence": INIT, 10 ms, SIPI, 200 µs, SIPI, 200 µs; the
    /// second SIPI goes only to APs that have not arrived yet). The 10 ms after INIT is for processors
    /// older than Intel family 6 / AMD family 0Fh; newer ones need none (Linux arch/x86/kernel/smpboot.c,
    /// init_udelay). An AP that never answers is logged by APIC ID and the kernel carries on with the others.
    /// An AP that arrives after that takes no lock: it reports itself halted and halts, and only then does
    /// the boot CPU send it INIT, which would otherwise leave any lock it held taken for good (model:
    /// Tests/Models/ApArrival.pml).
    /// </summary>
    public static unsafe class SmpBoot
    {
        private const ulong LegacyInitDelayMicros = 10_000;
        private const ulong StartupDelayMicros = 200;
        private const ulong HardwareArrivalTimeoutMicros = 100_000;   // after the second SIPI; a real AP needs well under 1 ms
        // A hypervisor may not run a new vCPU promptly: 39 ms seen under TCG, and over 1 s in the hot-plug torture on an
        // overcommitted host (load ~24 on 2 cores); 10 s as CrossCpuCall's, and Linux's wait for an AP.
        private const ulong VirtualArrivalTimeoutMicros = 10_000_000;
        private const ulong StackPages = 8;
        public const ulong StackBytes = StackPages * PageFrameAllocator.PageSize;   // each AP's kernel stack

        private const ulong LateArrivalGraceMicros = 20_000;   // how long the boot CPU looks for a late AP's halt report

        private static ulong* s_stackTable;   // handed to the trampoline: APs take entries by arrival ticket
        private static bool s_lateApForTest;  // test.late-ap: the first AP to arrive waits until the boot CPU gave up on it
        private static bool s_stragglerForTest;   // test.straggler: the first CPU taken down never reports dead
        private static bool s_arrivalWindowForTest;   // test.arrival-window: an arriving AP serves calls before it takes the big kernel lock
        private static int s_arrivals;            // APs that came online, ever: the boot CPU waits for it to grow
        private static int s_arrivalsHalted;      // the boot CPU is in a halt step waiting on s_arrivals (Kernel/Sync/SpinThenHalt.cs)

        public static int Limit { get; private set; } = Cpus.MaxCpus;

        /// <summary>The boot-time bring-up: APs started in parallel, and the microseconds from the first INIT to the last arrival.</summary>
        public static int BootApsStarted { get; private set; }
        public static ulong BootBringUpMicros { get; private set; }

        public static void StartApplicationProcessors(MadtInfo madt, CommandLine options)
        {
            if (BuildConfiguration.Uniprocessor)
            {
                EnterUniprocessorMode(madt, options);
                Log.Info("smp", "1 CPU online (a uniprocessor build, MaxCpus=1: the kernel has no AP start-up code)");
                return;
            }
            Limit = CpuLimit(options);
            s_lateApForTest = options.Has("test.late-ap");
            s_stragglerForTest = options.Has("test.straggler");
            s_arrivalWindowForTest = options.Has("test.arrival-window");
            KernelCpu* boot = KernelCpu.Current;
            var started = (KernelCpu**)KernelHeap.Allocate((ulong)Cpus.Capacity * (ulong)sizeof(KernelCpu*));
            int count = 0;
            ulong heapBefore = KernelHeap.BytesAllocated;
            for (int i = 0; i < madt.Cpus.Length && Cpus.Count < Limit; i++)
            {
                MadtCpu entry = madt.Cpus[i];
                if (!entry.Enabled || entry.ApicId == boot->ApicId) continue;
                if (!ApicMode.CanAddress(entry.ApicId, LocalApic.X2ApicMode)) continue;   // warned about when the mode was chosen
                KernelCpu* cpu = PrepareCpu(entry.ApicId, entry.Uid);
                if (cpu == null) break;
                started[count++] = cpu;
            }
            if (count > 0) LogPerCpuMemory(count, KernelHeap.BytesAllocated - heapBefore);
            KernelCpu* ghost = PrepareGhost(madt, options);
            if (ghost != null) started[count++] = ghost;
            if (count == 0)
            {
                EnterUniprocessorMode(madt, options);
                Log.Info("smp", $"1 CPU online (boot CPU only: {(Limit == 1 ? "nosmp or maxcpus=1" : madt.Header.Length == 0 ? "no MADT" : "the MADT lists no other enabled CPU")})");
                return;
            }
            if (ApTrampoline.CodePage == 0 || Paging.KernelRoot >= 1UL << 32)
            {
                EnterUniprocessorMode(madt, options);
                Log.Warn("smp", "1 CPU online (boot CPU only: no usable AP trampoline, or page tables above 4 GiB)");
                return;
            }
            for (int i = 0; i < count; i++) Atomic.Write(ref started[i]->State, (int)CpuState.Starting);
            if (Alternatives.Mode == AlternativesMode.Smp)
                Log.Info("alternatives", $"SMP (as built): {Alternatives.LockSiteCount} lock sites, {Alternatives.SequenceCount} sequences");
            ulong micros = Start(started, count);
            BootApsStarted = count;
            BootBringUpMicros = micros;
            Log.Info("smp", $"{Cpus.OnlineCount} CPUs online ({count} APs started in parallel, bring-up {micros / 1000}.{micros % 1000:d3} ms)");
        }

        // What preparing the APs took: measured on the heap (PerCpu blocks, call inboxes, GDTs, TSSs, IST stacks), plus
        // each AP's kernel stack pages.
        private static void LogPerCpuMemory(int aps, ulong heapBytes)
        {
            ulong total = heapBytes + (ulong)aps * StackBytes;
            Log.Info("smp", $"per-CPU memory: {total / (ulong)aps} bytes per AP ({heapBytes / (ulong)aps} heap, {StackBytes} stack), {total / 1024} KiB for {aps} APs; CPU table sized for {Cpus.Capacity} of at most {Cpus.MaxCpus}");
        }

        /// <summary>A new entry in the CPU table with its GDT, TSS and kernel stack: everything an AP needs before its first SIPI.</summary>
        public static KernelCpu* PrepareCpu(uint apicId, uint acpiUid)
        {
            KernelCpu* cpu = Cpus.Add(apicId, acpiUid);
            if (cpu == null) return null;
            Gdt.Prepare(&cpu->Arch, KernelHeap.Allocate(Gdt.MemoryPerCpu));
            ulong stack = PhysicalMemory.AllocateZeroedPagesOrPanic(StackPages, "an AP's kernel stack");
            cpu->StackTop = stack + StackBytes;
            return cpu;
        }

        // One CPU for now: drop the lock prefixes. If no CPU can ever join, the tables go back to the allocator.
        private static void EnterUniprocessorMode(MadtInfo madt, CommandLine options)
        {
            if (Alternatives.Mode != AlternativesMode.Smp) return;
            UpSmpSwitch.ToUp();
            Log.Info("alternatives", $"UP, {Alternatives.LockSiteCount} lock sites, {Alternatives.SequenceCount} sequences patched in {Alternatives.LastSwitchMicros} us");
            bool anotherCpuPossible = !BuildConfiguration.Uniprocessor && !options.Has("nosmp") && madt.Cpus.Length > 1;
            if (!anotherCpuPossible) UpSmpSwitch.ReleaseTables();
        }

        /// <summary>Starts a parked CPU again through the same INIT-SIPI-SIPI path; true once it is online.</summary>
        public static bool Restart(int index)
        {
            if (BuildConfiguration.Uniprocessor) return false;
            KernelCpu* cpu = Cpus.Get(index);
            if (cpu == null || cpu->CpuState != CpuState.Parked) return false;
            if (Atomic.Read(ref cpu->ReportedDead) == 0)                 // it may still run: INIT could catch it holding a lock
            {
                Log.Warn("smp", $"CPU {index} left the online set but never reported dead: not restarted");
                return false;
            }
            if (!UpSmpSwitch.ToSmp()) return false;               // a second CPU needs every lock prefix back first
            if (!Cpus.TryMarkRestarting(cpu)) return false;
            var one = stackalloc KernelCpu*[1];
            one[0] = cpu;
            Start(one, 1);
            return cpu->CpuState == CpuState.Online;
        }

        // Every CPU in `cpus` is Starting: send INIT to all, then the SIPIs, then wait for each. Returns the microseconds it took.
        private static ulong Start(KernelCpu** cpus, int count)
        {
            if (s_stackTable == null) s_stackTable = (ulong*)KernelHeap.Allocate((ulong)Cpus.Capacity * sizeof(ulong));
            for (int i = 0; i < count; i++) s_stackTable[i] = cpus[i]->StackTop;
            ApTrampoline.Prepare(Paging.KernelRoot, s_stackTable, &ApEntry);
            ulong begin = Tsc.Read();
            int arrivedBefore = Atomic.Read(ref s_arrivals);
            for (int i = 0; i < count; i++) SendOrReport(cpus[i], IpiDelivery.Init, 0);
            Tsc.SpinMicroseconds(InitDelayMicros);
            for (int i = 0; i < count; i++) SendOrReport(cpus[i], IpiDelivery.Startup, ApTrampoline.StartupVector);
            Tsc.SpinMicroseconds(StartupDelayMicros);
            for (int i = 0; i < count; i++)
                if (cpus[i]->CpuState == CpuState.Starting) SendOrReport(cpus[i], IpiDelivery.Startup, ApTrampoline.StartupVector);
            WaitForArrivals(cpus, count, arrivedBefore + count);
            return Tsc.ToMicroseconds(Tsc.Read() - begin);
        }

        private static ulong ArrivalTimeoutMicros => Cpuid.UnderHypervisor ? VirtualArrivalTimeoutMicros : HardwareArrivalTimeoutMicros;

        private static ulong InitDelayMicros =>
            (Cpuid.IsIntel && Cpuid.Family >= 6) || (Cpuid.IsAmd && Cpuid.Family >= 0xF) ? 0 : LegacyInitDelayMicros;

        // Each AP that comes online counts itself and kicks us, should we have halted waiting (we start no more than one
        // batch at a time, so the count reaching `arrivals` means every CPU of this one is online).
        private static void WaitForArrivals(KernelCpu** started, int count, int arrivals)
        {
            fixed (int* arrived = &s_arrivals, halted = &s_arrivalsHalted)
                SpinThenHalt.Until(arrived, arrivals, WaitCondition.NotBefore, halted, Tsc.DeadlineAfter(ArrivalTimeoutMicros), serviceCalls: false);
            int failed = 0;
            for (int i = 0; i < count; i++)
            {
                KernelCpu* cpu = started[i];
                if (cpu->CpuState == CpuState.Online || !Cpus.TryMarkFailed(cpu)) continue;
                failed++;
                Log.Warn("smp", $"CPU {cpu->Index} (APIC ID {cpu->ApicId}) did not answer INIT-SIPI-SIPI within {ArrivalTimeoutMicros / 1000} ms: continuing without it");
            }
            if (failed > 0) ParkLateArrivals(started, count);
        }

        // A failed AP that still arrives reports itself halted (ApEntry); only such a CPU gets INIT, to park it in
        // wait-for-SIPI. One that never reports is left alone: should it arrive later, it halts itself.
        private static void ParkLateArrivals(KernelCpu** started, int count)
        {
            ulong deadline = Tsc.DeadlineAfter(LateArrivalGraceMicros);
            while (Tsc.Read() < deadline) CpuNative.Pause();
            for (int i = 0; i < count; i++)
            {
                KernelCpu* cpu = started[i];
                if (cpu->CpuState != CpuState.Failed || Atomic.Read(ref cpu->ReportedDead) == 0) continue;
                Log.Warn("smp", $"CPU {cpu->Index} (APIC ID {cpu->ApicId}) arrived late and halted: parked with INIT");
                LocalApic.SendIpi(cpu->ApicId, IpiDelivery.Init, 0);
            }
        }

        private static void SendOrReport(KernelCpu* cpu, IpiDelivery delivery, byte vector)
        {
            if (!LocalApic.SendIpi(cpu->ApicId, delivery, vector))
                Log.Warn("smp", $"the local APIC never accepted the IPI for APIC ID {cpu->ApicId}");
        }

        /// <summary>An AP's first C#: called by the trampoline on its own stack with the ticket it drew.</summary>
        [Proc.KernelThread]
        private static void ApEntry(ulong ticket)
        {
            KernelCpu* cpu = Cpus.FindByApicId(Cpuid.ApicId);
            if (cpu == null) CpuNative.HaltForever();            // not a CPU we started: stay out of the way
            cpu->ReportedDead = 0;
            cpu->Arch.HandlerNesting = 0;                             // the handler or request that parked it never returned
            SpinThenHalt.ResetAfterInit(cpu);                    // its APIC is reset: no halting in waits yet
            CrossCpuCall.AbandonInterruptedRequests(cpu);        // if INIT cut a request short, free its slot
            cpu->StackTop = ((ulong*)ApTrampoline.Block->StackTable)[ticket];   // stacks go by arrival order
            PerCpu.Install(&cpu->Arch);                          // GS → its block: exception reports need it
            Idt.Load();                                          // the shared IDT: every fault reported from here
            Gdt.Load(&cpu->Arch);                                // own GDT, TSS, IST stacks (GS reinstalled)
            LocalApic.EnableThisCpu();                           // same mode as the boot CPU
            SpinThenHalt.EnableOnThisCpu();                      // kicks reach it now
            LocalApic.ConfigureNmiPins(AcpiFirmware.Madt.LocalNmis, cpu->Arch.AcpiUid);
            LocalApicTimer.StartThisCpu();                       // its own periodic tick
            if (s_lateApForTest && ticket == 0)                  // test.late-ap: arrive just after the deadline
                while (Atomic.Read(ref cpu->State) == (int)CpuState.Starting) CpuNative.Pause();
            Proc.Process stranded = Proc.Scheduler.AdoptIdleThread(cpu->StackTop - StackBytes, cpu->StackTop);   // current before online: calls find it
            if (!Cpus.TryMarkOnline(cpu))                        // too late: the boot CPU gave up on it
            {
                LocalApic.StopTimer();                           // no lock from here: INIT may come once it reports
                Atomic.Write(ref cpu->ReportedDead, 1);
                CpuNative.HaltForever();
            }
            Atomic.Increment(ref s_arrivals);                    // the boot CPU may be halted waiting for this
            fixed (int* arrived = &s_arrivals, halted = &s_arrivalsHalted) SpinThenHalt.Wake(arrived, halted);
            if (s_arrivalWindowForTest) ServeCallsBeforeTheLock(cpu);   // test.arrival-window: as a long wait for the lock would
            Proc.Scheduler.RunIdleThisCpu(stranded);             // runs processes; returns once offline
            if (s_stragglerForTest)                              // test.straggler: stay silent, as a CPU stuck on its way out would
            {
                s_stragglerForTest = false;
                CpuNative.HaltForever();
            }
            // Taken offline: every request it was running has completed (we are back in the idle loop), so it
            // can report itself dead and stop, as Linux's cpuhp_report_idle_dead does. INIT follows.
            Atomic.Write(ref cpu->ReportedDead, 1);
            CpuNative.HaltForever();
        }

        // test.arrival-window: between coming online and taking the big kernel lock an AP serves calls, as it does while it
        // waits for the lock. Here it waits until it has served one (or the window closes), so the test's call lands there.
        private static void ServeCallsBeforeTheLock(KernelCpu* cpu)
        {
            ulong served = Atomic.Read(ref cpu->CallsServed);
            ulong deadline = Tsc.DeadlineAfter(ArrivalWindowMicros);
            while (Atomic.Read(ref cpu->CallsServed) == served && Tsc.Read() < deadline)
            {
                CrossCpuCall.ServicePending();
                CpuNative.Pause();
            }
            if (Atomic.Read(ref cpu->CallsServed) != served) Log.Info("smp", $"CPU {cpu->Index} served a call before it took the big kernel lock (test.arrival-window)");
        }

        private const ulong ArrivalWindowMicros = 10_000_000;

        // test.ghost-ap=ID: one more CPU to start, at an APIC ID nothing answers, to exercise the time-out path.
        private static KernelCpu* PrepareGhost(MadtInfo madt, CommandLine options)
        {
            if (!options.TryGetValue("test.ghost-ap", out string text)) return null;
            if (!Lib.Format.TryParseUnsigned(text, out ulong apicId) || apicId > Arch.Acpi.ApicMode.MaxXApicId || Listed(madt, (uint)apicId) || Cpus.Count >= Limit)
            {
                Log.Warn("smp", $"test.ghost-ap='{text}' is not a free APIC ID below 255 within the CPU limit: ignored");
                return null;
            }
            Log.Info("smp", $"test.ghost-ap: also starting APIC ID {apicId}, which no CPU has");
            return PrepareCpu((uint)apicId, GhostUid);
        }

        public const uint GhostUid = 0xFFFFFFFE;   // no firmware UID: 0xFFFFFFFF means "all processors" in the MADT's NMI entries

        private static bool Listed(MadtInfo madt, uint apicId)
        {
            if (apicId == KernelCpu.Current->ApicId) return true;
            for (int i = 0; i < madt.Cpus.Length; i++)
                if (madt.Cpus[i].ApicId == apicId) return true;
            return false;
        }

        private static int CpuLimit(CommandLine options)
        {
            if (options.Has("nosmp")) return 1;
            if (!options.TryGetValue("maxcpus", out string text)) return Cpus.MaxCpus;
            if (!Lib.Format.TryParseUnsigned(text, out ulong value) || value == 0)
            {
                Log.Warn("smp", $"maxcpus='{text}' is not a CPU count of at least 1: ignoring it");
                return Cpus.MaxCpus;
            }
            return value > Cpus.MaxCpus ? Cpus.MaxCpus : (int)value;
        }
    }
}

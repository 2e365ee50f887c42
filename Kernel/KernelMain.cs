using System.Runtime;
using Kernel.Arch.Acpi;
using Kernel.Arch;
using Kernel.Diagnostics;
using Kernel.Lib;
using Kernel.Memory;
using Kernel.Proc;
using Kernel.Runtime;
using Kernel.Servers;
using Kernel.Shell;
using Kernel.Smp;
using Kernel.Sync;
using Kernel.Testing;

namespace Kernel
{
    /// <summary>
    /// The boot CPU's path from the boot stub (Boot/Entry.asm) to a running kernel. Read top to bottom:
    /// each line is one step, in the only order that works.
    /// </summary>
    public static unsafe class KernelMain
    {
        public const string Banner = "managed SMP kernel";

        private static ImageLayout s_image;

        public static ImageLayout* Image
        {
            get { fixed (ImageLayout* image = &s_image) return image; }
        }

        public static BootInfo BootInfo { get; private set; }
        public static CommandLine Options { get; private set; }

        [RuntimeExport("kmain")]
        private static void Main(ulong multibootInfo)
        {
            RuntimeHost.Attach(&ProcessMemory.Allocate, &Panic.Halt, &Panic.UnhandledException);  // the runtime's memory (the kernel heap, or the running process's) and its way to stop
            CpuNative.GetImageLayout(Image);          // where the linker put text, data and the early heap
            KernelCpu.InitializeBootCpu();            // GS → this CPU's block: CPU number in every report
            KernelHeap.InitializeEarly(Image);        // `new` works from here, on the image's early heap
            Statics.Initialize(Image->ModulesStart, Image->ModulesEnd);  // static reference fields and class constructors work from here
            LogSink.Attach();                         // log lines go to the ring and the console, stamped from the TSC
            KernelEntry.RegisterFailures(&Panic.Halt, &Panic.OnFatalException, &Panic.OnNonMaskableInterrupt);  // how Arch stops the machine
            Serial.Initialize();                      // COM1 console, if a UART answers
            Tsc.Calibrate();                          // timestamps for the log
            Log.Info("boot", Banner + " starting");
            Gdt.Prepare(PerCpu.Current, KernelHeap.Allocate(Gdt.MemoryPerCpu));  // own GDT and TSS with IST stacks...
            Gdt.Load(PerCpu.Current);                 // ...loaded
            Idt.Initialize(Image);                    // every exception reported from here on
            BootInfo = ParseBootInfo(multibootInfo);  // memory map, command line, ACPI pointers, modules
            Screen.Initialize(BootInfo);              // console on the screen too: VGA text (BIOS) or framebuffer (UEFI)
            Options = ParseOptions(BootInfo);         // kernel options; unknown ones warned about
            Tsc.LogFrequency();                       // (after loglevel is known)
            SymbolMap.Load(BootInfo);                 // C# method names for panic reports
            PhysicalMemory.Initialize(BootInfo, Image);  // page allocator from the memory map
            KernelHeap.AttachPageAllocator();         // the heap grows beyond the early area
            ProcessMemory.Initialize();               // the page map: from here on each process allocates in a heap of its own
            AcpiFirmware.Discover(BootInfo, KernelCpu.Current->ApicId, Cpus.MaxCpus, AcpiOff(Options));  // ACPI: MADT, FADT (reads page 0: before paging)
            ApTrampoline.Install(BootInfo, Image);    // AP start-up code into conventional memory
            Paging.Initialize(BootInfo, Image, PhysicalMemory.Top, &PhysicalMemory.AllocateZeroedPage);  // own page tables: W^X, null page unmapped
            Screen.MapFramebuffer();                  // a framebuffer above 4 GiB starts once mapped
            ArmCallSequenceFaultInjection(Options);   // test-only: test.call-sequence=N
            Cpus.RegisterBootCpu(AcpiFirmware.Madt, Options.Has("test.ghost-ap") ? 1 : 0);  // CPU 0; per-CPU tables sized by the MADT
            Pic8259.Retire();                         // the APICs take over from the 8259s
            LocalApic.InitializeBootCpu(AcpiFirmware.Madt.LocalApicAddress, AcpiFirmware.Madt.Cpus, KernelCpu.Current->ApicId, Options.Has("nox2apic"));  // x2APIC where the CPU has it
            LocalApic.ConfigureNmiPins(AcpiFirmware.Madt.LocalNmis, KernelCpu.Current->Arch.AcpiUid);  // LINT pins per the MADT
            IoApic.InitializeAll(AcpiFirmware.Madt);      // device interrupts masked until routed
            KernelEntry.RegisterEvents(&ConsoleInput.Deliver, &PhysicalHotplug.OnFirmwareEvent);  // where devices' input and firmware events go
            Serial.EnableInput(KernelCpu.Current->ApicId);   // COM1's receive interrupt feeds the console's input ring
            Ps2Keyboard.Initialize(AcpiFirmware.Fadt, KernelCpu.Current->ApicId);  // PS/2 keyboard on IRQ 1, if the 8042 answers: the same ring
            ConfigurePmTimer(AcpiFirmware.Fadt);          // the reference clock modern machines have
            TimerCalibration.Run();                   // TSC and local APIC timer rates
            Alternatives.Initialize(Image, Options.Has("noalternatives"), SpinThenHalt.ChooseHalting(Options));  // CPU-feature and lock-wait variants; pristine text kept
            KernelEntry.Register(&BigKernelLock.EnterForInterrupt, &BigKernelLock.ExitForInterrupt, &Scheduler.OnInterruptExit, &Scheduler.OnTick, &Scheduler.KillFaultingProcess);  // how Arch calls up: lock, interrupt exit, tick, process faults
            Interrupts.Register(InterruptVectors.ApicError, &ReportApicError, takesBigKernelLock: true);
            LocalApicTimer.InstallHandler();          // per-CPU tick
            CrossCpuCall.InstallHandler();            // run-this-on-that-CPU requests
            Ipi.InstallHandlers();                    // reschedule and stop requests
            SpinThenHalt.InstallKickHandler();        // a waker's kick ends a halted wait whose condition now holds
            Scheduler.Initialize(Image->BootStackBottom, Image->BootStackTop);  // this thread becomes the kernel task; run queues
            LocalApicTimer.StartThisCpu();            // the boot CPU ticks
            CpuNative.EnableInterrupts();             // from here the boot CPU takes interrupts
            Log.Info("boot", $"heap {KernelHeap.BytesAllocated / 1024} KiB used, {PhysicalMemory.FreePages} pages free");
            SmpBoot.StartApplicationProcessors(AcpiFirmware.Madt, Options);  // INIT-SIPI-SIPI, in parallel; logs the CPU count last
            ArmHotplugFaultInjection(Options);        // test-only: hotplug.fail=<step>
            QemuCpuHotplug.Initialize(AcpiFirmware.Fadt, AcpiFirmware.Madt.Cpus.Length, KernelCpu.Current->ApicId);  // physical hot-plug (QEMU)
            SystemProcesses.StartConsole();           // the process that owns processes' console output
            SystemProcesses.StartClock();             // sleeps and alarms for every process
            KernelTaskHeap.Start(Image);              // what the kernel task allocates from here comes back

            if (Options.TryGetValue("selftest", out string filter))
                SelfTestRunner.RunAndExit(filter);    // in-guest tests; ends QEMU with their verdict
            if (Options.TryGetValue("bench", out string group))
                Bench.BenchmarkRunner.RunAndExit(group);  // in-guest benchmarks; ends QEMU

            SystemProcesses.StartShell();             // the interactive shell on the console
            Log.Info("boot", "up: shell on the console; the kernel task serves hot-plug events and the shell's requests");
            Options.TryGetValue("hotplug.selftest", out string hotplugTests);
            SystemTask.Run(hotplugTests);             // never returns
        }

        private static BootInfo ParseBootInfo(ulong address)
        {
            BootInfo info = Multiboot2.Parse((byte*)address, out string error);
            if (info == null) Panic.Halt(TextBuffer.Of($"bad multiboot2 information: {error}"));
            Log.Info("boot", $"loader '{info.BootloaderName}', {info.MemoryMap.Length} memory regions, {info.Modules.Length} modules, firmware {(info.HasEfiSystemTable ? "UEFI" : "BIOS")}");
            return info;
        }

        private static CommandLine ParseOptions(BootInfo boot)
        {
            string extra = QemuFwCfg.ReadCommandLine();
            string text = extra == null ? boot.CommandLine
                        : boot.CommandLine.Length == 0 ? extra
                        : string.Concat(boot.CommandLine, " ", extra);
            CommandLine options = CommandLine.Parse(text);
            Log.Info("boot", $"command line: {options.Text}");
            for (int i = 0; i < options.Warnings.Length; i++) Log.Warn("boot", options.Warnings[i]);
            ApplyLogLevel(options);
            return options;
        }

        private static void ApplyLogLevel(CommandLine options)
        {
            if (!options.TryGetValue("loglevel", out string level)) return;
            if (level == "error") Log.Threshold = LogLevel.Error;
            else if (level == "warn") Log.Threshold = LogLevel.Warn;
            else if (level == "info") Log.Threshold = LogLevel.Info;
            else if (level == "debug") Log.Threshold = LogLevel.Debug;
            else Log.Warn("boot", $"loglevel '{level}' is not error|warn|info|debug: keeping info");
        }

        private static bool AcpiOff(CommandLine options)
        {
            if (!options.TryGetValue("acpi", out string value)) return false;
            if (value == "off") return true;
            Log.Warn("boot", $"acpi='{value}' is not 'off': using ACPI");
            return false;
        }

        private static void ArmCallSequenceFaultInjection(CommandLine options)
        {
            if (!options.TryGetValue("test.call-sequence", out string text)) return;
            if (!Format.TryParseUnsigned(text, out ulong first) || first > uint.MaxValue)
                Log.Warn("boot", $"test.call-sequence='{text}' is not a number from 0 to 2^32-1: ignored");
            else CrossCpuCall.StartSequencesAt(unchecked((int)(uint)first));
        }

        private static void ArmHotplugFaultInjection(CommandLine options)
        {
            if (!options.TryGetValue("hotplug.fail", out string name)) return;
            HotplugStep step = CpuHotplug.ParseStep(name);
            if (step == HotplugStep.None) Log.Warn("boot", $"hotplug.fail='{name}' names no hot-plug step: ignored");
            else CpuHotplug.FailOnce(step);
        }

        private static void ConfigurePmTimer(FadtInfo fadt)
        {
            if (fadt != null && fadt.PmTimerPort != 0 && fadt.PmTimerPort <= ushort.MaxValue)
                PmTimer.Configure((ushort)fadt.PmTimerPort, fadt.PmTimer32Bit);
        }

        private static void ReportApicError(TrapFrame* frame)
        {
            LocalApic.Write(LapicRegister.ErrorStatus, 0);   // latch the error bits (SDM Vol. 3A §11.5.3)
            Log.Warn("apic", $"local APIC error 0x{LocalApic.Read(LapicRegister.ErrorStatus):x2} on CPU {KernelCpu.Current->Index}");
        }
    }
}

using Kernel.Arch;
using Kernel.Arch.Acpi;
using Kernel.Lib;
using Kernel.Proc;
using Kernel.Servers;
using Kernel.Smp;
using Kernel.Sync;

namespace Kernel.Shell
{
    /// <summary>
    /// The shell's commands, one method each, in the order `help` lists them. Each validates its arguments and
    /// answers a bad one with a single line naming the problem. What they show comes from the kernel's snapshots
    /// (<see cref="Snapshots"/>), what they change is asked of the kernel task (<see cref="SystemTask"/>); lines are
    /// formatted by interpolation into stack buffers (<see cref="TextBuffer"/>): no allocation per command.
    /// </summary>
    [Process("shell")]
    public sealed unsafe class ShellCommands
    {
        private struct Command
        {
            public string Name;
            public string Usage;
            public string Help;
            public delegate*<ShellCommands, CommandWords, void> Run;
        }

        private readonly Command[] _commands =
        {
            new Command { Name = "help", Usage = "help", Help = "this list", Run = &Help },
            new Command { Name = "cpus", Usage = "cpus", Help = "CPUs: APIC ID, state, online since, ticks, big-lock use", Run = &ListCpus },
            new Command { Name = "online", Usage = "online N", Help = "start CPU N (logical hot-plug)", Run = &Online },
            new Command { Name = "offline", Usage = "offline N", Help = "take CPU N down (logical hot-plug)", Run = &Offline },
            new Command { Name = "alt", Usage = "alt", Help = "code patching: mode, sites, last UP/SMP switch, features", Run = &ShowAlternatives },
            new Command { Name = "madt", Usage = "madt", Help = "the ACPI MADT: CPUs, I/O APICs, overrides, NMIs", Run = &ShowMadt },
            new Command { Name = "ipi", Usage = "ipi N", Help = "cross-CPU call round trips from CPU 0 to CPU N", Run = &Ipi },
            new Command { Name = "lockstat", Usage = "lockstat", Help = "big kernel lock statistics per CPU", Run = &LockStat },
            new Command { Name = "ps", Usage = "ps [heap]", Help = "processes: state, CPU, priority, time; or their heaps", Run = &ListProcesses },
            new Command { Name = "mem", Usage = "mem", Help = "memory: pages, the kernel heap, process heaps", Run = &ShowMemory },
            new Command { Name = "kill", Usage = "kill E", Help = "kill the process with endpoint E", Run = &Kill },
            new Command { Name = "bench", Usage = "bench [GROUP]", Help = "groups: smp locks alternatives ipi processes gc hotplug", Run = &Bench },
            new Command { Name = "selftest", Usage = "selftest [FILTER]", Help = "in-guest tests whose suite.name starts with FILTER", Run = &SelfTest },
            new Command { Name = "log", Usage = "log [N]", Help = "the last N kernel log lines (default 20)", Run = &ShowLog },
            new Command { Name = "panic", Usage = "panic", Help = "panic the kernel, for testing (asks first)", Run = &PanicNow },
            new Command { Name = "poweroff", Usage = "poweroff", Help = "switch off: ACPI S5 (QEMU: its exit device as fallback)", Run = &PowerOff },
            new Command { Name = "reboot", Usage = "reboot", Help = "reset: ACPI reset register, 8042, 0xCF9, triple fault", Run = &Reboot },
        };

        private readonly ShellProcess _shell;

        public ShellCommands(ShellProcess shell) => _shell = shell;

        public void Execute(CommandWords words)
        {
            if (words.Count == 0) return;
            if (words.TooMany) { ShellProcess.Error("shell", "too many words"); return; }
            for (int i = 0; i < _commands.Length; i++)
                if (words.Is(0, _commands[i].Name)) { _commands[i].Run(this, words); return; }
            var line = new TextBuffer();
            line.Append("unknown command '");
            AppendWord(ref line, words, 0);
            line.Append("': 'help' lists the commands");
            ShellProcess.Print(ref line);
        }

        private static void Help(ShellCommands shell, CommandWords words)
        {
            for (int i = 0; i < shell._commands.Length; i++)
            {
                var line = new TextBuffer();
                line.Append($"  {shell._commands[i].Usage}");
                line.PadTo(21);
                line.Append(shell._commands[i].Help);
                ShellProcess.Print(ref line);
            }
        }

        // ---- CPUs ----

        private static void ListCpus(ShellCommands shell, CommandWords words)
        {
            ShellProcess.Print("CPU APIC  state       since (s)     ticks  BKL taken  contended waited (cycles)");
            for (int i = 0; i < Snapshots.CpuCount; i++)
            {
                CpuInfo cpu = Snapshots.Cpu(i);
                var line = new TextBuffer();
                line.Append($"{i:3}{cpu.ApicId:5}  ");
                Left(ref line, CpuStateName(cpu.State), 9);
                if (cpu.State == CpuState.Online) AppendSeconds(ref line, cpu.OnlineSinceMicros, 12);
                else Right(ref line, "-", 12);
                line.Append($"{cpu.TimerTicks:10}{cpu.BklAcquisitions:11}{cpu.BklContended:11}{cpu.BklWaitCycles:16}");
                ShellProcess.Print(ref line);
            }
            ShellProcess.Print($"{Snapshots.OnlineCpuCount} of {Snapshots.CpuCount} CPUs online");
        }

        private static void Online(ShellCommands shell, CommandWords words) => Hotplug(words, "online", SystemTask.CpuUp);

        private static void Offline(ShellCommands shell, CommandWords words) => Hotplug(words, "offline", SystemTask.CpuDown);

        private static void Hotplug(CommandWords words, string command, int request)
        {
            if (!TryCpuArgument(words, command, out int cpu)) return;
            Message message = Message.Of(request, (ulong)cpu);
            if (SystemTask.Call(&message) != IpcStatus.Ok) { ShellProcess.Error(command, "the kernel task did not answer"); return; }
            var result = (HotplugResult)message.P0;
            if (result == HotplugResult.Done)
                ShellProcess.Print($"CPU {cpu}{(request == SystemTask.CpuUp ? " online in " : " offline in ")}{message.P1} us; alternatives {Snapshots.Alternatives().ModeName}, {Snapshots.OnlineCpuCount} CPUs online");
            else ShellProcess.Print($"{command}: CPU {cpu} {HotplugResultText(result)}");
        }

        private static void Ipi(ShellCommands shell, CommandWords words)
        {
            if (!TryCpuArgument(words, "ipi", out int cpu)) return;
            if (cpu == 0) { ShellProcess.Error("ipi", "CPU 0 is where the probe runs from: name another CPU"); return; }
            if (Snapshots.Cpu(cpu).State != CpuState.Online) { ShellProcess.Error("ipi", "that CPU is not online"); return; }
            Message message = Message.Of(SystemTask.IpiRoundTrip, (ulong)cpu);
            if (SystemTask.Call(&message) != IpcStatus.Ok) { ShellProcess.Error("ipi", "the kernel task did not answer"); return; }
            if (message.P0 == 0) { ShellProcess.Print($"ipi: CPU {cpu} did not answer"); return; }
            ShellProcess.Print($"CPU 0 -> CPU {cpu} and back, {message.P0} times:");
            var line = new TextBuffer();
            line.Append("  fastest ");
            AppendCycles(ref line, message.P2);
            line.Append(", mean ");
            AppendCycles(ref line, message.P1);
            ShellProcess.Print(ref line);
        }

        private static void LockStat(ShellCommands shell, CommandWords words)
        {
            ShellProcess.Print("big kernel lock (MINIX-style, FIFO ticket):");
            ShellProcess.Print("CPU  acquisitions  contended    %  waited (cycles)   mean wait  longest wait");
            ulong totalAcquisitions = 0, totalContended = 0, totalWaited = 0;
            for (int i = 0; i < Snapshots.CpuCount; i++)
            {
                CpuInfo cpu = Snapshots.Cpu(i);
                totalAcquisitions += cpu.BklAcquisitions;
                totalContended += cpu.BklContended;
                totalWaited += cpu.BklWaitCycles;
                var line = new TextBuffer();
                line.Append($"{i:3}");
                AppendLockRow(ref line, cpu.BklAcquisitions, cpu.BklContended, cpu.BklWaitCycles);
                line.Append($"{(cpu.BklContended == 0 ? 0 : cpu.BklWaitCycles / cpu.BklContended):12}{cpu.BklLongestWait:14}");
                ShellProcess.Print(ref line);
            }
            var total = new TextBuffer();
            total.Append("all");
            AppendLockRow(ref total, totalAcquisitions, totalContended, totalWaited);
            ShellProcess.Print(ref total);
            ShellProcess.Print($"console input: {Snapshots.ConsoleInputDropped} bytes dropped (ring full)");
        }

        // ---- Firmware and code patching ----

        private static void ShowAlternatives(ShellCommands shell, CommandWords words)
        {
            AlternativesInfo alt = Snapshots.Alternatives();
            ShellProcess.Print($"mode {alt.ModeName}{(alt.TablesReleased ? " (tables released: no CPU can join)" : "")}");
            ShellProcess.Print($"{alt.LockSites} lock sites ({alt.ManagedLockSites} in C#, {alt.LockSites - alt.ManagedLockSites} in asm), {alt.Sequences} UP/SMP sequences, {alt.FeatureSites} CPU-feature sites");
            if (alt.Switches == 0) ShellProcess.Print("no UP/SMP switch since boot");
            else
            {
                var line = new TextBuffer();
                line.Append($"{alt.Switches} UP/SMP switches; the last at ");
                AppendSeconds(ref line, alt.LastSwitchAtMicros, 0);
                line.Append($" s took {alt.LastSwitchMicros} us");
                ShellProcess.Print(ref line);
            }
            string eoi = alt.X2ApicEoi ? "x2APIC MSR write" : alt.X2ApicMode ? "MSR write, mode checked per EOI (as built)" : "xAPIC MMIO store, mode checked per EOI";
            ShellProcess.Print($"full fence: {(alt.Sse2Fence ? "mfence (CPUID SSE2)" : "lock or [rsp],0 (no SSE2)")}; EOI: {eoi}");
            if (alt.X2ApicMode)
                ShellProcess.Print($"x2APIC ICR write: {(alt.UnfencedApicMsrWrites ? "no fence (AMD orders x2APIC MSR writes)" : "after mfence; lfence")}");
        }

        private static void ShowMadt(ShellCommands shell, CommandWords words)
        {
            MadtSummary madt = Snapshots.Madt();
            if (!madt.Valid) { ShellProcess.Print($"madt: {madt.Error ?? "no MADT"}"); return; }
            var line = new TextBuffer();
            line.Append($"MADT revision {madt.Revision}, OEM '");
            AppendRawText(ref line, madt.OemIdRaw, 6);
            line.Append($"', local APIC 0x{madt.LocalApicAddress:x}{(madt.LocalApicAddressOverridden ? " (64-bit override)" : "")}{(madt.PcAtCompat ? ", dual 8259s present" : "")}");
            ShellProcess.Print(ref line);

            ShellProcess.Print("  CPU entries   APIC ID   UID   flags");
            for (int i = 0; i < madt.Cpus; i++)
            {
                MadtEntry cpu = Snapshots.MadtEntryAt(MadtEntryKind.Cpu, i);
                string state = cpu.Enabled ? "enabled" : cpu.OnlineCapable ? "online-capable" : "disabled (hot-plug slot under QEMU)";
                ShellProcess.Print($"{(cpu.IsX2Apic ? "    x2APIC    " : "    local APIC")}{cpu.Id:8}{cpu.Uid:6}   {state}{(cpu.IsBootCpu ? ", boot CPU" : "")}");
            }
            for (int i = 0; i < madt.IoApics; i++)
            {
                MadtEntry ioApic = Snapshots.MadtEntryAt(MadtEntryKind.IoApic, i);
                ShellProcess.Print($"  I/O APIC {ioApic.Id} at 0x{ioApic.Address:x}, GSI base {ioApic.Gsi}");
            }
            for (int i = 0; i < madt.Overrides; i++)
            {
                MadtEntry entry = Snapshots.MadtEntryAt(MadtEntryKind.Override, i);
                ShellProcess.Print($"  override: ISA IRQ {entry.Line} -> GSI {entry.Gsi}{PolarityText(entry.Polarity)}{TriggerText(entry.Trigger)}");
            }
            for (int i = 0; i < madt.NmiSources; i++)
            {
                MadtEntry entry = Snapshots.MadtEntryAt(MadtEntryKind.NmiSource, i);
                ShellProcess.Print($"  NMI source: GSI {entry.Gsi}{PolarityText(entry.Polarity)}{TriggerText(entry.Trigger)}");
            }
            for (int i = 0; i < madt.LocalNmis; i++)
            {
                MadtEntry entry = Snapshots.MadtEntryAt(MadtEntryKind.LocalNmi, i);
                line.Clear();
                line.Append($"  local NMI: LINT{entry.Line} on ");
                if (entry.AllProcessors) line.Append("every CPU");
                else line.Append($"UID {entry.Uid}");
                line.Append($"{PolarityText(entry.Polarity)}{TriggerText(entry.Trigger)}");
                ShellProcess.Print(ref line);
            }
            for (int i = 0; i < madt.Warnings; i++) ShellProcess.Error("  warning", Snapshots.MadtWarning(i));
        }

        // ---- Processes ----

        private static void ListProcesses(ShellCommands shell, CommandWords words)
        {
            bool heaps = words.Count == 2 && words.Is(1, "heap");
            if (words.Count > 2 || (words.Count == 2 && !heaps)) { ShellProcess.Error("ps", "usage: ps [heap]"); return; }
            ShellProcess.Print(heaps
                ? "slot endpoint  name        state      heapKiB  liveKiB  collections  maxPause"
                : "slot endpoint  name        state     prio  cpu  affinity Mcycles switches moves");
            for (int slot = 0; slot < Endpoint.Slots; slot++)
            {
                if (!Snapshots.ProcessAt(slot, out ProcessInfo process)) continue;
                var line = new TextBuffer();
                line.Append($"{slot:4}{process.Endpoint:9}  ");
                Left(ref line, process.Name, 12);
                Left(ref line, process.StateName, 10);
                if (heaps) line.Append($"{process.Heap.Pages * 4:8}{process.Heap.LiveBytes / 1024:9}{process.Heap.Collections:13}{process.Heap.LongestPauseMicros:8} us");
                else
                {
                    line.Append($"{process.Priority:4}");
                    AppendCpu(ref line, process.RunningOn, process.LastCpu);
                    line.Append("  ");
                    AppendAffinity(ref line, process);
                    line.Append($"{process.CpuCycles / 1_000_000:8}{process.Switches:9}{process.Migrations:6}");
                }
                ShellProcess.Print(ref line);
            }
            ShellProcess.Print(heaps
                ? "heapKiB: its heap's pages; liveKiB: live after its last collection"
                : "cpu: running there, or (ran there last); moves: CPU changes; 'ps heap': heaps");
        }

        private static void ShowMemory(ShellCommands shell, CommandWords words)
        {
            MemoryInfo memory = Snapshots.Memory();
            HeapInfo task = memory.KernelTaskHeap;
            ShellProcess.Print($"pages: {memory.FreePages} free of {memory.TotalPages} ({memory.FreePages * 4 / 1024} of {memory.TotalPages * 4 / 1024} MiB), {memory.ReservePages} kept for the kernel");
            ShellProcess.Print($"kernel heap: {memory.KernelHeapBytes} bytes in {memory.KernelHeapAllocations} blocks, never freed");
            ShellProcess.Print($"  in {memory.KernelHeapChunks} chunks, {memory.KernelHeapReserved / 1024} KiB");
            ShellProcess.Print($"kernel task heap: {task.Pages} pages, {task.LiveBytes / 1024} KiB live, {task.Collections} collections");
            ShellProcess.Print($"process heaps: {memory.ProcessHeapPages} pages ({memory.ProcessHeapPages * 4} KiB) in {memory.ProcessHeaps} heaps");
        }

        private static void Kill(ShellCommands shell, CommandWords words)
        {
            if (words.Count != 2 || !words.TryParse(1, out int endpoint)) { ShellProcess.Error("kill", "usage: kill E, E an endpoint from 'ps'"); return; }
            if (!Snapshots.ProcessWith(endpoint, out ProcessInfo process)) { ShellProcess.Error("kill", "no live process has that endpoint"); return; }
            Message message = Message.Of(SystemTask.Kill, (ulong)endpoint);
            if (SystemTask.Call(&message) != IpcStatus.Ok) { ShellProcess.Error("kill", "the kernel task did not answer"); return; }
            if (message.P0 == SystemTask.NoSuchProcess) ShellProcess.Error("kill", "no live process has that endpoint");
            else if (message.P0 == SystemTask.SystemProcess) ShellProcess.Error("kill", "refused: a system process (the kernel task, a server, the shell)");
            else ShellProcess.Print($"{(message.P0 == SystemTask.Killed ? "killed " : "kill: could not kill ")}{process.Name}");
        }

        // ---- Measuring and testing ----

        private static void Bench(ShellCommands shell, CommandWords words)
        {
            if (words.Count > 2) { ShellProcess.Error("bench", "usage: bench [GROUP]"); return; }
            var message = new Message { Type = SystemTask.RunBenchmarks };
            SetFilter(&message, words);
            if (SystemTask.Call(&message) != IpcStatus.Ok) { ShellProcess.Error("bench", "the kernel task did not answer"); return; }
            if (message.P1 != 0) ShellProcess.Error("bench", "no such group: smp, locks, alternatives, ipi, processes, gc or hotplug");
            else if (message.P0 == 0) ShellProcess.Error("bench", "nothing measured (the ipi and hotplug groups need two CPUs online)");
        }

        private static void SelfTest(ShellCommands shell, CommandWords words)
        {
            if (words.Count > 2) { ShellProcess.Error("selftest", "usage: selftest [FILTER]"); return; }
            if (words.Count == 2 && words.Length(1) > SystemTask.MaxFilter) { ShellProcess.Error("selftest", "filter too long"); return; }
            var message = new Message { Type = SystemTask.RunSelfTests };
            SetFilter(&message, words);
            if (SystemTask.Call(&message) != IpcStatus.Ok) ShellProcess.Error("selftest", "the kernel task did not answer");
        }

        private static void SetFilter(Message* message, CommandWords words)
        {
            if (words.Count < 2) return;
            int length = words.Length(1) > SystemTask.MaxFilter ? SystemTask.MaxFilter : words.Length(1);
            byte* bytes = (byte*)&message->P1;
            for (int i = 0; i < length; i++) bytes[i] = (byte)words.At(1, i);
            message->P0 = (ulong)length;
        }

        private static void ShowLog(ShellCommands shell, CommandWords words)
        {
            int count = 20;
            if (words.Count > 2 || (words.Count == 2 && (!words.TryParse(1, out count) || count == 0)))
            {
                ShellProcess.Error("log", "usage: log [N], N a number of lines");
                return;
            }
            ulong end = Snapshots.LogWritten;
            ulong start = end > (ulong)count ? end - (ulong)count : 0;
            if (start < Snapshots.LogOldest) start = Snapshots.LogOldest;
            for (ulong sequence = start; sequence < end; sequence++)
            {
                var line = new TextBuffer();
                if (Snapshots.LogLine(sequence, ref line)) ShellProcess.Print(ref line);
            }
        }

        private static void PanicNow(ShellCommands shell, CommandWords words)
        {
            if (!shell._shell.Confirm("This stops every CPU. Type 'yes' to panic: ")) { ShellProcess.Print("not panicking"); return; }
            Request("panic", SystemTask.Panic);
        }

        private static void PowerOff(ShellCommands shell, CommandWords words) => Request("poweroff", SystemTask.PowerOff);

        private static void Reboot(ShellCommands shell, CommandWords words) => Request("reboot", SystemTask.Reboot);

        // A request the kernel task answers by ending the machine's run: returning at all means it could not.
        private static void Request(string command, int request)
        {
            Message message = Message.Of(request);
            if (SystemTask.Call(&message) != IpcStatus.Ok) ShellProcess.Error(command, "the kernel task did not answer");
        }

        // ---- Helpers ----

        private static bool TryCpuArgument(CommandWords words, string command, out int cpu)
        {
            cpu = 0;
            if (words.Count == 2 && words.TryParse(1, out cpu) && cpu < Snapshots.CpuCount) return true;
            ShellProcess.Print($"{command}: expected a CPU number from 0 to {Snapshots.CpuCount - 1}");
            return false;
        }

        private static string HotplugResultText(HotplugResult result) => result switch
        {
            HotplugResult.NoSuchCpu => "does not exist",
            HotplugResult.BootCpu => "is the boot CPU, which stays online",
            HotplugResult.LastCpu => "is the last CPU online",
            HotplugResult.AlreadyOffline => "is not online",
            HotplugResult.AlreadyOnline => "is already online",
            _ => "failed a step; all of it was rolled back (see 'log')",
        };

        private static string CpuStateName(CpuState state) => state switch
        {
            CpuState.Absent => "absent",
            CpuState.Starting => "starting",
            CpuState.Online => "online",
            CpuState.Failed => "failed",
            _ => "parked",
        };

        private static ulong Percent(ulong part, ulong whole) => whole == 0 ? 0 : part * 100 / whole;

        private static void AppendLockRow(ref TextBuffer line, ulong acquisitions, ulong contended, ulong waited) =>
            line.Append($"{acquisitions:14}{contended:11}{Percent(contended, acquisitions):5}{waited:17}");

        private static void AppendCycles(ref TextBuffer line, ulong cycles)
        {
            ulong hz = Snapshots.TscHz;
            ulong nanos = hz == 0 ? 0 : cycles * 1000 / (hz / 1_000_000);
            line.Append($"{cycles} cycles ({nanos / 1000}.{nanos % 1000 / 10:d2} us)");
        }

        // Width 5: "  2" running on CPU 2, "  (2)" last ran on CPU 2, "    -" never ran.
        private static void AppendCpu(ref TextBuffer line, int running, int last)
        {
            if (running >= 0) line.Append($"{running:4} ");
            else if (last >= 0) line.Append($"{(last < 10 ? "  (" : " (")}{last})");
            else Right(ref line, "- ", 5);
        }

        // Width 8: "all" for every CPU; a mask in hex while it fits (CPUs below 24); else "cpu N" or "N cpus".
        private static void AppendAffinity(ref TextBuffer line, in ProcessInfo process)
        {
            int start = line.Length;
            if (process.AffinityAll) line.Append("all");
            else if (process.AffinityFitsMask) line.Append($"0x{process.AffinityMask:x}");
            else if (process.AffinityCount == 1) line.Append($"cpu {process.AffinityFirst}");
            else line.Append($"{process.AffinityCount} cpus");
            line.PadTo(start + 8);
        }

        // Seconds with milliseconds, right-aligned in `width` columns.
        private static void AppendSeconds(ref TextBuffer line, ulong micros, int width)
        {
            ulong seconds = micros / 1_000_000;
            int digits = 1;
            for (ulong rest = seconds / 10; rest > 0; rest /= 10) digits++;
            line.PadTo(line.Length + width - digits - 4);
            line.Append($"{seconds}.{micros % 1_000_000 / 1000:d3}");
        }

        private static string PolarityText(InterruptPolarity polarity) =>
            polarity == InterruptPolarity.ActiveLow ? ", active low" : polarity == InterruptPolarity.ActiveHigh ? ", active high" : ", bus polarity";

        private static string TriggerText(InterruptTrigger trigger) =>
            trigger == InterruptTrigger.Level ? ", level" : trigger == InterruptTrigger.Edge ? ", edge" : ", bus trigger";

        private static void AppendRawText(ref TextBuffer line, ulong raw, int length)
        {
            for (int i = 0; i < length; i++)
            {
                char c = (char)(byte)(raw >> (8 * i));
                line.Append(c >= ' ' && c < '\u007f' ? c : '?');
            }
        }

        private static void AppendWord(ref TextBuffer line, CommandWords words, int word)
        {
            for (int i = 0; i < words.Length(word); i++) line.Append(words.At(word, i));
        }

        private static void Left(ref TextBuffer line, string text, int width)
        {
            int start = line.Length;
            line.Append(text);
            line.PadTo(start + width);
        }

        private static void Right(ref TextBuffer line, string text, int width)
        {
            line.PadTo(line.Length + width - text.Length);
            line.Append(text);
        }
    }
}

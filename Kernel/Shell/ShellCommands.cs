using Kernel.Arch.Acpi;
using Kernel.Arch;
using Kernel.Bench;
using Kernel.Diagnostics;
using Kernel.Lib;
using Kernel.Proc;
using Kernel.Servers;
using Kernel.Smp;
using Kernel.Sync;

namespace Kernel.Shell
{
    /// <summary>
    /// The shell's commands, one method each, in the order `help` lists them. Each validates its arguments and
    /// answers a bad one with a single line naming the problem. Tables are built in stack buffers: no allocation.
    /// </summary>
    public static unsafe class ShellCommands
    {
        private struct Command
        {
            public string Name;
            public string Usage;
            public string Help;
            public delegate*<CommandWords, void> Run;
        }

        private static readonly Command[] s_commands =
        {
            new Command { Name = "help", Usage = "help", Help = "this list", Run = &Help },
            new Command { Name = "cpus", Usage = "cpus", Help = "CPUs: APIC ID, state, online since, ticks, big-lock use", Run = &ListCpus },
            new Command { Name = "online", Usage = "online N", Help = "start CPU N (logical hot-plug)", Run = &Online },
            new Command { Name = "offline", Usage = "offline N", Help = "take CPU N down (logical hot-plug)", Run = &Offline },
            new Command { Name = "alt", Usage = "alt", Help = "code patching: mode, sites, last UP/SMP switch, features", Run = &ShowAlternatives },
            new Command { Name = "madt", Usage = "madt", Help = "the ACPI MADT: CPUs, I/O APICs, overrides, NMIs", Run = &ShowMadt },
            new Command { Name = "ipi", Usage = "ipi N", Help = "cross-CPU call round trips from CPU 0 to CPU N", Run = &Ipi },
            new Command { Name = "lockstat", Usage = "lockstat", Help = "big kernel lock statistics per CPU", Run = &LockStat },
            new Command { Name = "ps", Usage = "ps", Help = "processes: endpoint, state, CPU, priority, time", Run = &ListProcesses },
            new Command { Name = "kill", Usage = "kill E", Help = "kill the process with endpoint E", Run = &Kill },
            new Command { Name = "bench", Usage = "bench [GROUP]", Help = "benchmarks: smp locks alternatives ipi processes hotplug", Run = &Bench },
            new Command { Name = "selftest", Usage = "selftest [FILTER]", Help = "in-guest tests whose suite.name starts with FILTER", Run = &SelfTest },
            new Command { Name = "log", Usage = "log [N]", Help = "the last N kernel log lines (default 20)", Run = &ShowLog },
            new Command { Name = "panic", Usage = "panic", Help = "panic the kernel, for testing (asks first)", Run = &PanicNow },
            new Command { Name = "poweroff", Usage = "poweroff", Help = "switch off: ACPI S5 (QEMU: its exit device as fallback)", Run = &PowerOff },
            new Command { Name = "reboot", Usage = "reboot", Help = "reset: ACPI reset register, 8042, 0xCF9, triple fault", Run = &Reboot },
        };

        public static void Execute(CommandWords words)
        {
            if (words.Count == 0) return;
            if (words.TooMany) { ShellProcess.Error("shell", "too many words"); return; }
            for (int i = 0; i < s_commands.Length; i++)
                if (words.Is(0, s_commands[i].Name)) { s_commands[i].Run(words); return; }
            var line = new TextBuffer();
            line.Append("unknown command '");
            AppendWord(ref line, words, 0);
            line.Append("': 'help' lists the commands");
            ShellProcess.Print(ref line);
        }

        private static void Help(CommandWords words)
        {
            for (int i = 0; i < s_commands.Length; i++)
            {
                var line = new TextBuffer();
                line.Append("  ");
                Left(ref line, s_commands[i].Usage, 19);
                line.Append(s_commands[i].Help);
                ShellProcess.Print(ref line);
            }
        }

        // ---- CPUs ----

        private static void ListCpus(CommandWords words)
        {
            ShellProcess.Print("CPU APIC  state       since (s)     ticks  BKL taken  contended waited (cycles)");
            for (int i = 0; i < Cpus.Count; i++)
            {
                KernelCpu* cpu = Cpus.Get(i);
                LockStatistics bkl = cpu->Bkl.Statistics;
                var line = new TextBuffer();
                line.AppendPadded((ulong)i, 3);
                line.AppendPadded(cpu->ApicId, 5);
                line.Append("  ");
                Left(ref line, CpuStateName(cpu->CpuState), 9);
                if (cpu->CpuState == CpuState.Online) AppendSeconds(ref line, Tsc.MicrosecondsAt(cpu->OnlineSinceTsc), 12);
                else Right(ref line, "-", 12);
                line.AppendPadded(cpu->Arch.TimerTicks, 10);
                line.AppendPadded(bkl.Acquisitions, 11);
                line.AppendPadded(bkl.Contended, 11);
                line.AppendPadded(bkl.WaitCycles, 16);
                ShellProcess.Print(ref line);
            }
            var summary = new TextBuffer();
            summary.AppendDecimal(Cpus.OnlineCount);
            summary.Append(" of ");
            summary.AppendDecimal(Cpus.Count);
            summary.Append(" CPUs online");
            ShellProcess.Print(ref summary);
        }

        private static void Online(CommandWords words) => Hotplug(words, "online", SystemTask.CpuUp);

        private static void Offline(CommandWords words) => Hotplug(words, "offline", SystemTask.CpuDown);

        private static void Hotplug(CommandWords words, string command, int request)
        {
            if (!TryCpuArgument(words, command, out int cpu)) return;
            var message = new Message { Type = request, P0 = (ulong)cpu };
            if (SystemTask.Call(&message) != IpcStatus.Ok) { ShellProcess.Error(command, "the kernel task did not answer"); return; }
            var line = new TextBuffer();
            var result = (HotplugResult)message.P0;
            if (result == HotplugResult.Done)
            {
                line.Append("CPU ");
                line.AppendDecimal(cpu);
                line.Append(request == SystemTask.CpuUp ? " online in " : " offline in ");
                line.AppendDecimal(message.P1);
                line.Append(" us; alternatives ");
                line.Append(Alternatives.ModeName);
                line.Append(", ");
                line.AppendDecimal(Cpus.OnlineCount);
                line.Append(" CPUs online");
            }
            else
            {
                line.Append(command);
                line.Append(": CPU ");
                line.AppendDecimal(cpu);
                line.Append(' ');
                line.Append(HotplugResultText(result));
            }
            ShellProcess.Print(ref line);
        }

        private static void Ipi(CommandWords words)
        {
            if (!TryCpuArgument(words, "ipi", out int cpu)) return;
            if (cpu == 0) { ShellProcess.Error("ipi", "CPU 0 is where the probe runs from: name another CPU"); return; }
            if (Cpus.Get(cpu)->CpuState != CpuState.Online) { ShellProcess.Error("ipi", "that CPU is not online"); return; }
            var message = new Message { Type = SystemTask.IpiRoundTrip, P0 = (ulong)cpu };
            if (SystemTask.Call(&message) != IpcStatus.Ok) { ShellProcess.Error("ipi", "the kernel task did not answer"); return; }
            var line = new TextBuffer();
            if (message.P0 == 0)
            {
                line.Append("ipi: CPU ");
                line.AppendDecimal(cpu);
                line.Append(" did not answer");
            }
            else
            {
                line.Append("CPU 0 -> CPU ");
                line.AppendDecimal(cpu);
                line.Append(" and back, ");
                line.AppendDecimal(message.P0);
                line.Append(" times:");
                ShellProcess.Print(ref line);
                line.Clear();
                line.Append("  fastest ");
                AppendCycles(ref line, message.P2);
                line.Append(", mean ");
                AppendCycles(ref line, message.P1);
            }
            ShellProcess.Print(ref line);
        }

        private static void LockStat(CommandWords words)
        {
            ShellProcess.Print("big kernel lock (MINIX-style, FIFO ticket):");
            ShellProcess.Print("CPU  acquisitions  contended    %  waited (cycles)   mean wait  longest wait");
            ulong totalAcquisitions = 0, totalContended = 0, totalWaited = 0;
            for (int i = 0; i < Cpus.Count; i++)
            {
                LockStatistics bkl = Cpus.Get(i)->Bkl.Statistics;
                totalAcquisitions += bkl.Acquisitions;
                totalContended += bkl.Contended;
                totalWaited += bkl.WaitCycles;
                var line = new TextBuffer();
                line.AppendPadded((ulong)i, 3);
                AppendLockRow(ref line, bkl.Acquisitions, bkl.Contended, bkl.WaitCycles);
                line.AppendPadded(bkl.Contended == 0 ? 0 : bkl.WaitCycles / bkl.Contended, 12);
                line.AppendPadded(bkl.LongestWait, 14);
                ShellProcess.Print(ref line);
            }
            var total = new TextBuffer();
            total.Append("all");
            AppendLockRow(ref total, totalAcquisitions, totalContended, totalWaited);
            ShellProcess.Print(ref total);
            var dropped = new TextBuffer();
            dropped.Append("console input: ");
            dropped.AppendDecimal(ConsoleInput.Dropped);
            dropped.Append(" bytes dropped (ring full)");
            ShellProcess.Print(ref dropped);
        }

        // ---- Firmware and code patching ----

        private static void ShowAlternatives(CommandWords words)
        {
            var line = new TextBuffer();
            line.Append("mode ");
            line.Append(Alternatives.ModeName);
            line.Append(Alternatives.TablesReleased ? " (tables released: no CPU can join)" : "");
            ShellProcess.Print(ref line);
            line.Clear();
            line.AppendDecimal(Alternatives.LockSiteCount);
            line.Append(" lock sites (");
            line.AppendDecimal(Alternatives.ManagedLockSiteCount);
            line.Append(" in C#, ");
            line.AppendDecimal(Alternatives.LockSiteCount - Alternatives.ManagedLockSiteCount);
            line.Append(" in asm), ");
            line.AppendDecimal(Alternatives.SequenceCount);
            line.Append(" UP/SMP sequences, ");
            line.AppendDecimal(Alternatives.FeatureSiteCount);
            line.Append(" CPU-feature sites");
            ShellProcess.Print(ref line);
            line.Clear();
            if (Alternatives.Switches == 0) line.Append("no UP/SMP switch since boot");
            else
            {
                line.AppendDecimal(Alternatives.Switches);
                line.Append(" UP/SMP switches; the last at ");
                AppendSeconds(ref line, Alternatives.LastSwitchAtMicros, 0);
                line.Append(" s took ");
                line.AppendDecimal(Alternatives.LastSwitchMicros);
                line.Append(" us");
            }
            ShellProcess.Print(ref line);
            line.Clear();
            line.Append("full fence: ");
            line.Append(Alternatives.FeatureChosen(AltFeature.Sse2) ? "mfence (CPUID SSE2)" : "lock or [rsp],0 (no SSE2)");
            line.Append("; EOI: ");
            line.Append(Alternatives.FeatureChosen(AltFeature.X2Apic) ? "x2APIC MSR write"
                        : LocalApic.X2ApicMode ? "MSR write, mode checked per EOI (as built)" : "xAPIC MMIO store, mode checked per EOI");
            ShellProcess.Print(ref line);
            if (!LocalApic.X2ApicMode) return;
            line.Clear();
            line.Append("x2APIC ICR write: ");
            line.Append(Alternatives.FeatureChosen(AltFeature.ApicMsrWritesOrdered) ? "no fence (AMD orders x2APIC MSR writes)" : "after mfence; lfence");
            ShellProcess.Print(ref line);
        }

        private static void ShowMadt(CommandWords words)
        {
            MadtInfo madt = AcpiFirmware.Madt;
            var line = new TextBuffer();
            if (madt.Status != AcpiTableStatus.Valid)
            {
                line.Append("madt: ");
                line.Append(madt.Error == null ? "no MADT" : madt.Error);
                ShellProcess.Print(ref line);
                return;
            }
            line.Append("MADT revision ");
            line.AppendDecimal(madt.Header.Revision);
            line.Append(", OEM '");
            AppendRawText(ref line, madt.Header.OemIdRaw, 6);
            line.Append("', local APIC 0x");
            line.AppendHex(madt.LocalApicAddress);
            line.Append(madt.LocalApicAddressOverridden ? " (64-bit override)" : "");
            line.Append(madt.PcAtCompat ? ", dual 8259s present" : "");
            ShellProcess.Print(ref line);

            ShellProcess.Print("  CPU entries   APIC ID   UID   flags");
            for (int i = 0; i < madt.Cpus.Length; i++)
            {
                MadtCpu cpu = madt.Cpus[i];
                line.Clear();
                line.Append(cpu.IsX2Apic ? "    x2APIC    " : "    local APIC");
                line.AppendPadded(cpu.ApicId, 8);
                line.AppendPadded(cpu.Uid, 6);
                line.Append("   ");
                line.Append(cpu.Enabled ? "enabled" : cpu.OnlineCapable ? "online-capable" : "disabled (hot-plug slot under QEMU)");
                line.Append(cpu.IsBootCpu ? ", boot CPU" : "");
                ShellProcess.Print(ref line);
            }
            for (int i = 0; i < madt.IoApics.Length; i++)
            {
                line.Clear();
                line.Append("  I/O APIC ");
                line.AppendDecimal(madt.IoApics[i].Id);
                line.Append(" at 0x");
                line.AppendHex(madt.IoApics[i].Address);
                line.Append(", GSI base ");
                line.AppendDecimal(madt.IoApics[i].GsiBase);
                ShellProcess.Print(ref line);
            }
            for (int i = 0; i < madt.Overrides.Length; i++)
            {
                line.Clear();
                line.Append("  override: ISA IRQ ");
                line.AppendDecimal(madt.Overrides[i].SourceIrq);
                line.Append(" -> GSI ");
                line.AppendDecimal(madt.Overrides[i].Gsi);
                AppendSignal(ref line, madt.Overrides[i].Polarity, madt.Overrides[i].Trigger);
                ShellProcess.Print(ref line);
            }
            for (int i = 0; i < madt.NmiSources.Length; i++)
            {
                line.Clear();
                line.Append("  NMI source: GSI ");
                line.AppendDecimal(madt.NmiSources[i].Gsi);
                AppendSignal(ref line, madt.NmiSources[i].Polarity, madt.NmiSources[i].Trigger);
                ShellProcess.Print(ref line);
            }
            for (int i = 0; i < madt.LocalNmis.Length; i++)
            {
                line.Clear();
                line.Append("  local NMI: LINT");
                line.AppendDecimal(madt.LocalNmis[i].Lint);
                line.Append(" on ");
                if (madt.LocalNmis[i].AllProcessors) line.Append("every CPU");
                else
                {
                    line.Append("UID ");
                    line.AppendDecimal(madt.LocalNmis[i].Uid);
                }
                AppendSignal(ref line, madt.LocalNmis[i].Polarity, madt.LocalNmis[i].Trigger);
                ShellProcess.Print(ref line);
            }
            for (int i = 0; i < madt.Warnings.Length; i++) ShellProcess.Error("  warning", madt.Warnings[i]);
        }

        // ---- Processes ----

        private static void ListProcesses(CommandWords words)
        {
            ShellProcess.Print("slot endpoint  name        state     prio  cpu  affinity Mcycles switches moves");
            for (int slot = 0; slot < Endpoint.Slots; slot++)
            {
                Process process = ProcessTable.At(slot);
                if (process == null || (process.Flags & ProcessFlags.SlotFree) != 0) continue;
                var line = new TextBuffer();
                line.AppendPadded((ulong)slot, 4);
                line.AppendPadded((ulong)process.Endpoint, 9);
                line.Append("  ");
                Left(ref line, process.Name, 12);
                Left(ref line, Process.StateName(process.State), 10);
                line.AppendPadded((ulong)process.Priority, 4);
                AppendCpu(ref line, process.RunningOn, process.LastCpu);
                line.Append("  ");
                AppendAffinity(ref line, process.Affinity);
                line.AppendPadded(process.CpuCycles / 1_000_000, 8);
                line.AppendPadded(process.Switches, 9);
                line.AppendPadded(process.Migrations, 6);
                ShellProcess.Print(ref line);
            }
            ShellProcess.Print("cpu: running there, or (ran there last); moves: times it changed CPU");
        }

        private static void Kill(CommandWords words)
        {
            if (words.Count != 2 || !words.TryParse(1, out int endpoint)) { ShellProcess.Error("kill", "usage: kill E, E an endpoint from 'ps'"); return; }
            Process process = ProcessTable.Lookup(endpoint, out _);
            if (process == null) { ShellProcess.Error("kill", "no live process has that endpoint"); return; }
            if (process.Slot == ProcessTable.KernelTaskSlot || process.IsSystem)
            {
                ShellProcess.Error("kill", "refused: a system process (the kernel task, a server, the shell)");
                return;
            }
            IpcStatus status = Scheduler.Kill(endpoint, "killed from the shell");
            var line = new TextBuffer();
            line.Append(status == IpcStatus.Ok ? "killed " : "kill: could not kill ");
            line.Append(process.Name);
            ShellProcess.Print(ref line);
        }

        // ---- Measuring and testing ----

        private static void Bench(CommandWords words)
        {
            if (words.Count > 2) { ShellProcess.Error("bench", "usage: bench [GROUP]"); return; }
            if (words.Count == 2 && !NamesGroup(words)) { ShellProcess.Error("bench", "no such group: smp, locks, alternatives, ipi, processes or hotplug"); return; }
            var message = new Message { Type = SystemTask.RunBenchmarks };
            SetFilter(&message, words);
            if (SystemTask.Call(&message) != IpcStatus.Ok) { ShellProcess.Error("bench", "the kernel task did not answer"); return; }
            if (message.P0 == 0) ShellProcess.Error("bench", "nothing measured (the ipi and hotplug groups need two CPUs online)");
        }

        private static bool NamesGroup(CommandWords words)
        {
            for (int i = 0; i < BenchmarkRunner.Groups.Length; i++)
                if (words.IsPrefixOf(1, BenchmarkRunner.Groups[i])) return true;
            return false;
        }

        private static void SelfTest(CommandWords words)
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

        private static void ShowLog(CommandWords words)
        {
            int count = 20;
            if (words.Count > 2 || (words.Count == 2 && (!words.TryParse(1, out count) || count == 0)))
            {
                ShellProcess.Error("log", "usage: log [N], N a number of lines");
                return;
            }
            ulong end = LogRing.Written;
            ulong start = end > (ulong)count ? end - (ulong)count : 0;
            if (start < LogRing.Oldest) start = LogRing.Oldest;
            for (ulong sequence = start; sequence < end; sequence++)
            {
                var line = new TextBuffer();
                if (LogRing.TryCopy(sequence, ref line)) ShellProcess.Print(ref line);
            }
        }

        private static void PanicNow(CommandWords words)
        {
            if (!ShellProcess.Confirm("This stops every CPU. Type 'yes' to panic: ")) { ShellProcess.Print("not panicking"); return; }
            Panic.Halt("requested from the shell");
        }

        private static void PowerOff(CommandWords words) => Shutdown.PowerOff();

        private static void Reboot(CommandWords words) => Shutdown.Reboot();

        // ---- Helpers ----

        private static bool TryCpuArgument(CommandWords words, string command, out int cpu)
        {
            cpu = 0;
            if (words.Count == 2 && words.TryParse(1, out cpu) && cpu < Cpus.Count) return true;
            var line = new TextBuffer();
            line.Append(command);
            line.Append(": expected a CPU number from 0 to ");
            line.AppendDecimal(Cpus.Count - 1);
            ShellProcess.Print(ref line);
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

        private static void AppendLockRow(ref TextBuffer line, ulong acquisitions, ulong contended, ulong waited)
        {
            line.AppendPadded(acquisitions, 14);
            line.AppendPadded(contended, 11);
            line.AppendPadded(Percent(contended, acquisitions), 5);
            line.AppendPadded(waited, 17);
        }

        private static void AppendCycles(ref TextBuffer line, ulong cycles)
        {
            line.AppendDecimal(cycles);
            line.Append(" cycles (");
            ulong nanos = Tsc.Hz == 0 ? 0 : cycles * 1000 / (Tsc.Hz / 1_000_000);
            line.AppendDecimal(nanos / 1000);
            line.Append('.');
            line.AppendPadded(nanos % 1000 / 10, 2, '0');
            line.Append(" us)");
        }

        // Width 5: "  2" running on CPU 2, "  (2)" last ran on CPU 2, "    -" never ran.
        private static void AppendCpu(ref TextBuffer line, int running, int last)
        {
            if (running >= 0) { line.AppendPadded((ulong)running, 4); line.Append(' '); }
            else if (last >= 0)
            {
                line.Append(last < 10 ? "  (" : " (");
                line.AppendDecimal(last);
                line.Append(')');
            }
            else Right(ref line, "- ", 5);
        }

        // Width 8: "all" for every CPU; a mask in hex while it fits (CPUs below 24); else "cpu N" or "N cpus".
        private static void AppendAffinity(ref TextBuffer line, in CpuSet affinity)
        {
            var start = line.Length;
            CpuSet every = CpuSet.FirstN(Cpus.Capacity);
            if (every.SetEquals(CpuSet.Intersection(affinity, every))) line.Append("all");
            else if (affinity.Next(24) < 0) { line.Append("0x"); line.AppendHex(affinity.FirstWord); }
            else if (affinity.Count == 1) { line.Append("cpu "); line.AppendDecimal((ulong)affinity.Next(0)); }
            else { line.AppendDecimal((ulong)affinity.Count); line.Append(" cpus"); }
            while (line.Length < start + 8) line.Append(' ');
        }

        private static void AppendSeconds(ref TextBuffer line, ulong micros, int width)
        {
            ulong seconds = micros / 1_000_000;
            int digits = 1;
            for (ulong rest = seconds / 10; rest > 0; rest /= 10) digits++;
            for (int i = digits + 4; i < width; i++) line.Append(' ');
            line.AppendDecimal(seconds);
            line.Append('.');
            line.AppendPadded(micros % 1_000_000 / 1000, 3, '0');
        }

        private static void AppendSignal(ref TextBuffer line, InterruptPolarity polarity, InterruptTrigger trigger)
        {
            line.Append(polarity == InterruptPolarity.ActiveLow ? ", active low" : polarity == InterruptPolarity.ActiveHigh ? ", active high" : ", bus polarity");
            line.Append(trigger == InterruptTrigger.Level ? ", level" : trigger == InterruptTrigger.Edge ? ", edge" : ", bus trigger");
        }

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
            line.Append(text);
            for (int i = text.Length; i < width; i++) line.Append(' ');
        }

        private static void Right(ref TextBuffer line, string text, int width)
        {
            for (int i = text.Length; i < width; i++) line.Append(' ');
            line.Append(text);
        }
    }
}

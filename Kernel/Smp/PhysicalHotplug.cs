using Kernel.Arch;
using Kernel.Arch.Acpi;
using Kernel.Lib;
using Kernel.Proc;

namespace Kernel.Smp
{
    /// <summary>
    /// What the kernel does when the firmware adds or removes a CPU (QEMU's ACPI CPU hot-plug; Arch.x86/QemuCpuHotplug.cs
    /// reads its registers). The SCI handler only notifies the kernel task (Kernel/Servers/SystemTask.cs), which runs
    /// the events here: an added CPU is prepared and started (CpuHotplug.CpuUp: SMP alternatives first); a CPU to be
    /// removed is taken down (CpuDown: UP alternatives at one CPU) before the firmware is told it may eject it.
    /// </summary>
    public static unsafe class PhysicalHotplug
    {
        private const int MaxEventsPerPass = 64;

        /// <summary>From the SCI handler (KernelEntry.FirmwareHotplugEvent): the kernel task handles the events.</summary>
        public static void OnFirmwareEvent() => Ipc.NotifyFromKernel(ProcessTable.KernelTask.Endpoint);

        /// <summary>On the kernel task: handles whatever the SCI announced (or polling found).</summary>
        public static void ProcessPendingEvents()
        {
            if (!QemuCpuHotplug.TakeAnnouncement()) return;
            for (int i = 0; i < MaxEventsPerPass && QemuCpuHotplug.NextEvent(out QemuCpuHotplug.Event next); i++)
            {
                if (next.Insert) Insert(next);
                else Remove(next);
            }
        }

        private static void Insert(QemuCpuHotplug.Event added)
        {
            QemuCpuHotplug.AcknowledgeInsert(added.Selector);
            uint apicId = added.ApicId;
            if (BuildConfiguration.Uniprocessor)
            {
                Log.Warn("hotplug", $"CPU with APIC ID {apicId} added, but this is a uniprocessor build (MaxCpus=1): not started");
                return;
            }
            KernelCpu* cpu = Cpus.FindByApicId(apicId);
            if (cpu == null && !ApicMode.CanAddress(apicId, LocalApic.X2ApicMode))
            {
                Log.Warn("hotplug", $"CPU with APIC ID {apicId} added, but xAPIC mode cannot address it: not started");
                return;
            }
            if (cpu == null)
            {
                cpu = SmpBoot.PrepareCpu(apicId, added.Selector);
                if (cpu == null) { Log.Warn("hotplug", $"CPU with APIC ID {apicId} added, but the CPU table is full"); return; }
                Atomic.Write(ref cpu->State, (int)CpuState.Parked);
            }
            HotplugResult result = CpuHotplug.CpuUp((int)cpu->Index);
            if (result != HotplugResult.Done) Log.Warn("hotplug", $"CPU with APIC ID {apicId} added but could not be started");
            else Log.Info("hotplug", $"CPU added: APIC ID {apicId}, {Cpus.OnlineCount} CPUs online, alternatives {Alternatives.ModeName}");
        }

        private static void Remove(QemuCpuHotplug.Event removal)
        {
            KernelCpu* cpu = Cpus.FindByApicId(removal.ApicId);
            if (removal.Enabled && cpu != null && cpu->CpuState == CpuState.Online)
            {
                HotplugResult result = CpuHotplug.CpuDown((int)cpu->Index);
                if (result != HotplugResult.Done)
                {
                    Log.Warn("hotplug", $"CPU with APIC ID {removal.ApicId}: removal refused ({(result == HotplugResult.BootCpu ? "the boot CPU" : "a step failed")})");
                    QemuCpuHotplug.RefuseRemoval(removal.Selector);
                    return;
                }
            }
            QemuCpuHotplug.Eject(removal);
            if (removal.Enabled) Log.Info("hotplug", $"CPU removed: APIC ID {removal.ApicId}, {Cpus.OnlineCount} CPUs online, alternatives {Alternatives.ModeName}");
        }
    }
}

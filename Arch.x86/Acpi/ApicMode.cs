using Kernel.Lib;

namespace Kernel.Arch.Acpi
{
    /// <summary>What the boot CPU knows when it picks the local APIC mode.</summary>
    public struct ApicModeInputs
    {
        public bool CpuSupportsX2Apic;      // CPUID.01H:ECX[21]
        public bool FirmwareEnabledX2Apic;  // IA32_APIC_BASE.EXTD was set when the kernel started
        public bool X2ApicLocked;           // IA32_XAPIC_DISABLE_STATUS.LEGACY_XAPIC_DISABLED: the firmware forbids leaving x2APIC
        public bool XApicRequested;         // the `nox2apic` kernel option
    }

    /// <summary>The local APIC mode every CPU uses, why, and which of the MADT's CPUs that mode can reach.</summary>
    public struct ApicModeChoice
    {
        public bool X2Apic;
        public bool LeaveFirmwareX2Apic;    // nox2apic honoured although the firmware enabled x2APIC: go back through the disabled state
        public uint HighestApicId;          // of the boot CPU and the MADT's enabled or online-capable CPUs
        public int UnreachableCount;        // enabled or online-capable CPUs whose APIC ID xAPIC mode cannot address
        public string Reason;               // why this mode, for the boot log
        public string Warning;              // null unless an option is overridden or CPUs are left out
    }

    /// <summary>
    /// xAPIC or x2APIC, decided from the MADT, the boot CPU and the `nox2apic` option. As Linux does, x2APIC
    /// whenever the CPU offers it: its MSR interface needs no MMIO mapping, sends an IPI in one write with no
    /// delivery-status polling, and reaches 32-bit APIC IDs (SDM Vol. 3A §11.12). xAPIC IPIs carry an 8-bit
    /// destination in which 0xFF is the broadcast (§11.6.1, §11.6.2.1), so that mode reaches APIC IDs 0–254.
    /// Pure: compiled by the host tests and tools/AcpiTool too.
    /// </summary>
    public static class ApicMode
    {
        /// <summary>The xAPIC destination every CPU accepts (SDM Vol. 3A §11.6.2.1): no one CPU's ID.</summary>
        public const uint XApicBroadcastId = 0xFF;

        /// <summary>The highest APIC ID xAPIC mode, and an I/O APIC entry's 8-bit destination, can name.</summary>
        public const uint MaxXApicId = XApicBroadcastId - 1;

        public static ApicModeChoice Choose(MadtCpu[] cpus, uint bootApicId, ApicModeInputs inputs)
        {
            var choice = new ApicModeChoice { HighestApicId = HighestUsableApicId(cpus, bootApicId) };
            bool needsX2Apic = choice.HighestApicId > MaxXApicId;
            if (inputs.FirmwareEnabledX2Apic)
            {
                // Leaving x2APIC takes a pass through the disabled state (SDM Vol. 3A §11.12.5, Figure 11-28
                // "Local x2APIC State Transitions"); it is legal unless the firmware locked the mode or a CPU
                // needs a 32-bit APIC ID (Linux: setup_nox2apic).
                choice.X2Apic = true;
                choice.Reason = "the firmware enabled it";
                if (!inputs.XApicRequested) return choice;
                if (inputs.X2ApicLocked) choice.Warning = "nox2apic ignored: the firmware locked the local APIC in x2APIC mode";
                else if (needsX2Apic) choice.Warning = "nox2apic ignored: CPUs with APIC IDs above 254 need x2APIC mode";
                else
                {
                    choice.X2Apic = false;
                    choice.LeaveFirmwareX2Apic = true;
                    choice.Reason = "nox2apic (the firmware had enabled x2APIC: left through the disabled state)";
                }
                return choice;
            }
            if (inputs.CpuSupportsX2Apic && !inputs.XApicRequested)
            {
                choice.X2Apic = true;
                choice.Reason = "the CPU offers it (CPUID.01H:ECX[21])";
                return choice;
            }
            choice.Reason = inputs.XApicRequested ? "nox2apic" : "the CPU has no x2APIC (CPUID.01H:ECX[21] clear)";
            for (int i = 0; i < cpus.Length; i++)
                if ((cpus[i].Enabled || cpus[i].OnlineCapable) && cpus[i].ApicId > MaxXApicId) choice.UnreachableCount++;
            if (choice.UnreachableCount > 0)
            {
                choice.Warning = TextBuffer.Of($"{choice.UnreachableCount} CPUs have APIC IDs above 254, which only x2APIC mode reaches, and {(inputs.XApicRequested ? "nox2apic was given" : "this CPU lacks x2APIC")}: they are not used");
            }
            return choice;
        }

        /// <summary>The highest APIC ID of the boot CPU and the MADT's enabled or online-capable CPUs.</summary>
        public static uint HighestUsableApicId(MadtCpu[] cpus, uint bootApicId)
        {
            uint highest = bootApicId == Madt.UnknownApicId ? 0 : bootApicId;
            for (int i = 0; i < cpus.Length; i++)
                if ((cpus[i].Enabled || cpus[i].OnlineCapable) && cpus[i].ApicId > highest) highest = cpus[i].ApicId;
            return highest;
        }

        /// <summary>True when an IPI in the chosen mode can name <paramref name="apicId"/>.</summary>
        public static bool CanAddress(uint apicId, bool x2Apic) => x2Apic || apicId <= MaxXApicId;
    }
}

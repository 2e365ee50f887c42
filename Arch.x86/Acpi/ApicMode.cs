using Kernel.Lib;

namespace Kernel.Acpi
{
    /// <summary>The local APIC mode every CPU uses, and which of the MADT's CPUs that mode can reach.</summary>
    public struct ApicModeChoice
    {
        public bool X2Apic;
        public uint HighestApicId;      // of the boot CPU and the MADT's enabled or online-capable CPUs
        public int UnreachableCount;    // enabled or online-capable CPUs whose APIC ID xAPIC mode cannot address
        public string Warning;          // null unless CPUs are left out
    }

    /// <summary>
    /// xAPIC or x2APIC, decided from the MADT and the boot CPU. xAPIC IPIs carry an 8-bit destination in which
    /// 0xFF is the broadcast (SDM Vol. 3A §11.6.1 and §11.6.2.1), so it reaches APIC IDs 0–254; x2APIC carries
    /// 32 bits (§11.12.9). Pure: compiled by the host tests and tools/AcpiTool too.
    /// </summary>
    public static class ApicMode
    {
        public const uint MaxXApicId = 254;

        /// <summary>
        /// x2APIC when the firmware left it enabled (IA32_APIC_BASE.EXTD: leaving it needs a pass through the
        /// disabled state, SDM Vol. 3A §11.12.5), or when a usable CPU has an APIC ID above 254 and the CPU offers
        /// x2APIC (CPUID.01H:ECX[21]). Otherwise xAPIC, and CPUs above 254 are unreachable: counted and warned about.
        /// </summary>
        public static ApicModeChoice Choose(MadtCpu[] cpus, uint bootApicId, bool firmwareEnabledX2Apic, bool cpuSupportsX2Apic)
        {
            var choice = new ApicModeChoice { HighestApicId = bootApicId == Madt.UnknownApicId ? 0 : bootApicId };
            for (int i = 0; i < cpus.Length; i++)
                if ((cpus[i].Enabled || cpus[i].OnlineCapable) && cpus[i].ApicId > choice.HighestApicId) choice.HighestApicId = cpus[i].ApicId;
            choice.X2Apic = firmwareEnabledX2Apic || (choice.HighestApicId > MaxXApicId && cpuSupportsX2Apic);
            if (choice.X2Apic) return choice;
            for (int i = 0; i < cpus.Length; i++)
                if ((cpus[i].Enabled || cpus[i].OnlineCapable) && cpus[i].ApicId > MaxXApicId) choice.UnreachableCount++;
            if (choice.UnreachableCount > 0)
            {
                var line = new TextBuffer();
                line.AppendDecimal((ulong)choice.UnreachableCount);
                line.Append(" CPUs have APIC IDs above 254, which only x2APIC mode reaches, and this CPU lacks x2APIC: they are not used");
                choice.Warning = line.ToString();
            }
            return choice;
        }

        /// <summary>True when an IPI in the chosen mode can name <paramref name="apicId"/>.</summary>
        public static bool CanAddress(uint apicId, bool x2Apic) => x2Apic || apicId <= MaxXApicId;
    }
}

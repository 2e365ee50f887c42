namespace Kernel.Acpi
{
    /// <summary>
    /// Whether the local APICs must run in x2APIC mode, from the MADT's CPUs: pure, so the host tests cover the choice
    /// that QEMU 7.2's TCG (no x2APIC) cannot exercise. xAPIC mode addresses 8-bit APIC IDs and 0xFF is its broadcast
    /// (SDM Vol. 3A §11.6.1 "Interrupt Command Register"), so an ID above 254 needs x2APIC (§11.12 "Extended XAPIC
    /// (x2APIC)"), as does a firmware that already enabled it: x2APIC cannot go back to xAPIC without a reset of the
    /// APIC (§11.12.5, Figure 11-27 "Local x2APIC State Transitions").
    /// </summary>
    public static class ApicModeChoice
    {
        public const uint HighestXApicId = 254;

        /// <summary>The highest APIC ID the kernel may have to address: the boot CPU's and those of CPUs it starts or that may be plugged in.</summary>
        public static uint HighestApicId(MadtInfo madt, uint bootApicId)
        {
            uint highest = bootApicId;
            for (int i = 0; i < madt.Cpus.Length; i++)
                if (madt.Cpus[i].ApicId > highest && (madt.Cpus[i].Enabled || madt.Cpus[i].OnlineCapable)) highest = madt.Cpus[i].ApicId;
            return highest;
        }

        public static bool UseX2Apic(bool enabledByFirmware, uint highestApicId, bool cpuHasX2Apic) =>
            enabledByFirmware || (highestApicId > HighestXApicId && cpuHasX2Apic);

        /// <summary>Some CPU has an APIC ID that the chosen mode cannot address.</summary>
        public static bool SomeCpuUnreachable(bool x2Apic, uint highestApicId) => !x2Apic && highestApicId > HighestXApicId;
    }
}

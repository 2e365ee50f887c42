namespace Kernel.Arch
{
    /// <summary>
    /// Clock rates from CPUID alone, for machines with neither an ACPI PM timer nor a PIT, and as a cross-check.
    /// Pure arithmetic on the leaves' raw values (the caller reads them), so the host tests cover it.
    /// Leaf 15H (SDM Vol. 2A "CPUID", Table 3-8): EAX = denominator, EBX = numerator of the TSC / core crystal
    /// ratio, ECX = crystal Hz (0 if not enumerated); nominal TSC Hz = ECX × EBX / EAX (also Vol. 3B §18.7.3
    /// "Determining the Processor Base Frequency"). Leaf 16H: EAX[15:0] = processor base frequency in MHz, which
    /// is the rate an invariant TSC counts at (Vol. 3B §17.17 "Time-Stamp Counter"). When 15H gives the ratio but not the crystal, the
    /// crystal follows from 16H's base frequency, as Linux's native_calibrate_tsc() does.
    /// </summary>
    public static class CpuidClocks
    {
        public const uint TscLeaf = 0x15, FrequencyLeaf = 0x16;

        /// <summary>
        /// The nominal TSC rate in Hz, or 0 if CPUID does not say. <paramref name="maxLeaf"/> is CPUID.0:EAX; the other
        /// arguments are the raw 15H EAX/EBX/ECX and 16H EAX (ignored beyond <paramref name="maxLeaf"/>).
        /// </summary>
        public static ulong TscHz(uint maxLeaf, uint ratioDenominator, uint ratioNumerator, uint crystalHz, uint baseFrequency)
        {
            bool ratio = maxLeaf >= TscLeaf && ratioDenominator != 0 && ratioNumerator != 0;
            if (ratio && crystalHz != 0) return (ulong)crystalHz * ratioNumerator / ratioDenominator;
            return BaseHz(maxLeaf, baseFrequency);
        }

        /// <summary>
        /// The core crystal clock in Hz, or 0 if unknown. Where 15H enumerates the ratio, the local APIC timer counts
        /// this clock (SDM Vol. 3A §11.5.4 "APIC Timer": "the processor's bus clock or core crystal clock frequency
        /// (when TSC/core crystal clock ratio is enumerated in CPUID leaf 0x15)").
        /// </summary>
        public static ulong CrystalHz(uint maxLeaf, uint ratioDenominator, uint ratioNumerator, uint crystalHz, uint baseFrequency)
        {
            if (maxLeaf < TscLeaf || ratioDenominator == 0 || ratioNumerator == 0) return 0;
            if (crystalHz != 0) return crystalHz;
            return BaseHz(maxLeaf, baseFrequency) * ratioDenominator / ratioNumerator;
        }

        private static ulong BaseHz(uint maxLeaf, uint baseFrequency) =>
            maxLeaf >= FrequencyLeaf ? (ulong)(baseFrequency & 0xFFFF) * 1_000_000 : 0;
    }
}

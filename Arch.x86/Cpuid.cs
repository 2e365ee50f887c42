namespace Kernel.Arch
{
    /// <summary>CPUID queries the kernel makes (SDM Vol. 2A "CPUID—CPU Identification").</summary>
    public static unsafe class Cpuid
    {
        public static CpuidResult Query(uint leaf, uint subleaf = 0)
        {
            CpuidResult result;
            CpuNative.Cpuid(leaf, subleaf, &result);
            return result;
        }

        /// <summary>The initial APIC ID of the executing CPU: CPUID.01H:EBX[31:24].</summary>
        public static uint InitialApicId => Query(1).Ebx >> 24;

        /// <summary>
        /// The executing CPU's full APIC ID: CPUID.0BH:EDX (x2APIC ID, 32 bits) when leaf 0BH exists,
        /// else the 8-bit initial APIC ID. Works in any APIC mode, before the local APIC is set up.
        /// </summary>
        public static uint ApicId => Query(0).Eax >= 0xB && Query(0xB).Ebx != 0 ? Query(0xB).Edx : InitialApicId;

        /// <summary>CPUID.01H:ECX[31] is reserved for (set by) hypervisors.</summary>
        public static bool UnderHypervisor => (Query(1).Ecx & (1u << 31)) != 0;

        /// <summary>CPUID.80000007H:EDX[8]: the TSC runs at a constant rate in all P-/C-states.</summary>
        public static bool InvariantTsc => Query(0x8000_0000).Eax >= 0x8000_0007 && (Query(0x8000_0007).Edx & (1u << 8)) != 0;
    }
}

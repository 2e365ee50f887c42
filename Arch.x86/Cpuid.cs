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

        /// <summary>The display family (SDM Vol. 2A, CPUID.01H:EAX: base family, plus the extended family when the base is 0xF).</summary>
        public static uint Family
        {
            get
            {
                uint eax = Query(1).Eax;
                uint family = (eax >> 8) & 0xF;
                return family == 0xF ? family + ((eax >> 20) & 0xFF) : family;
            }
        }

        /// <summary>True for "GenuineIntel", the vendor string in CPUID.00H:EBX,EDX,ECX.</summary>
        public static bool IsIntel => Query(0).Ebx == 0x756E_6547;      // "Genu"

        /// <summary>True for "AuthenticAMD".</summary>
        public static bool IsAmd => Query(0).Ebx == 0x6874_7541;        // "Auth"

        /// <summary>CPUID.01H:EDX[26]: SSE2, and with it MFENCE.</summary>
        public static bool HasSse2 => (Query(1).Edx & (1u << 26)) != 0;

        /// <summary>CPUID.01H:ECX[31] is reserved for (set by) hypervisors.</summary>
        public static bool UnderHypervisor => (Query(1).Ecx & (1u << 31)) != 0;

        /// <summary>CPUID.80000007H:EDX[8]: the TSC runs at a constant rate in all P-/C-states.</summary>
        public static bool InvariantTsc => Query(0x8000_0000).Eax >= 0x8000_0007 && (Query(0x8000_0007).Edx & (1u << 8)) != 0;
    }
}

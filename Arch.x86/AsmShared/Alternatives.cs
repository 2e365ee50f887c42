using System.Runtime.InteropServices;

namespace Kernel.Arch
{
    /// <summary>What an AltReplacement record replaces, and when.</summary>
    [AsmShared]
    public static class AltKind
    {
        public const byte UpSequence = 1;   // the image holds the SMP variant; Replacement is the one-CPU variant
        public const byte Feature = 2;      // the image holds the default; Replacement is used when Feature is present
    }

    /// <summary>CPU features a feature alternative can depend on (decided once at boot).</summary>
    [AsmShared]
    public static class AltFeature
    {
        public const ushort None = 0;
        public const ushort Sse2 = 1;       // CPUID.01H:EDX[26]: MFENCE exists
        public const ushort X2Apic = 2;     // the local APIC runs in x2APIC mode (MSR access)
        public const ushort ApicMsrWritesOrdered = 3;   // x2APIC mode on a CPU whose x2APIC MSR writes wait for earlier stores (AMD): no fence before the ICR write
        public const ushort PvLocks = 4;    // lock waits halt after a bounded spin and releasers kick (a hypervisor's CPUID.01H:ECX[31], or pvlocks=on)
    }

    /// <summary>Sizes of the alternatives tables (Boot/kernel.ld reserves them; tools/KernelImage fills the lock table).</summary>
    [AsmShared]
    public static class AlternativesLayout
    {
        public const int MaxReplacementLength = 16;
        public const int MaxLockSites = 4096;
        public const uint LockTableMagic = 0x4C54_4C41;   // "ALTL"
    }

    /// <summary>
    /// One replacement site, emitted by the ALTERNATIVE macros in Arch.x86/Bridge/Alternatives.inc into the
    /// .alt_replacements section: the site's address and length, and the bytes that replace it. Both variants
    /// have the site's length (the macros pad with NOPs), so instruction boundaries never move.
    /// </summary>
    [AsmShared]
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct AltReplacement
    {
        public ulong Site;
        public byte Length;
        public byte Kind;
        public ushort Feature;
        public uint Padding;
        public fixed byte Replacement[AlternativesLayout.MaxReplacementLength];
    }

    /// <summary>
    /// The head of the .alt_locks section: every lock prefix the kernel may drop on one CPU, as offsets from
    /// __text_start of the prefix byte. tools/KernelImage writes it into the linked image (Count, then the
    /// offsets); the asm only reserves Capacity entries.
    /// </summary>
    [AsmShared]
    [StructLayout(LayoutKind.Sequential)]
    public struct AltLockTable
    {
        public uint Magic;
        public uint Count;
        public uint Capacity;
        public uint FromManagedCode;     // how many of Count the decoder found in ilc's code (all of them today: asm marks its sites with ALT_BEGIN/ALT_REPLACE/ALT_END sequences instead)
    }
}

using System.Threading;

namespace Kernel.Arch
{
    /// <summary>
    /// Device register access: aligned 32-bit loads and stores the compiler may neither merge, split,
    /// reorder with each other nor hoist out of a polling loop (local APIC: SDM Vol. 3A §11.4.1; I/O APIC:
    /// 82093AA datasheet). Never use block copies on MMIO.
    /// </summary>
    public static unsafe class Mmio
    {
        public static uint Read32(ulong address) => Volatile.Read(ref *(uint*)address);
        public static void Write32(ulong address, uint value) => Volatile.Write(ref *(uint*)address, value);
    }
}

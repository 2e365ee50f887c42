// A stand-in for the kernel type Arch.x86/IoApic.cs needs besides its own file and Kernel/Lib, so the host tests
// compile that file unchanged: Mmio reaches a simulated I/O APIC register file (IOREGSEL at +0, IOWIN at +0x10;
// 82093AA datasheet §3.0) that records every register write. The log is the real one, unattached: it drops its lines.
using Kernel.Tests.Unit;

namespace Kernel.Arch
{
    public static class Mmio
    {
        public static uint Read32(ulong address) => SimulatedIoApic.At(address).Read(address);

        public static void Write32(ulong address, uint value) => SimulatedIoApic.At(address).Write(address, value);
    }
}

namespace Kernel.Tests.Unit
{
    /// <summary>An I/O APIC's indirect register file: 24 redirection entries, every write kept in order.</summary>
    public sealed class SimulatedIoApic
    {
        const uint RegisterSelect = 0x00, Window = 0x10, VersionIndex = 0x01, Entries = 24;

        static readonly Dictionary<ulong, SimulatedIoApic> s_byBase = [];

        readonly uint[] _registers = new uint[0x10 + 2 * Entries];
        uint _selected;

        public ulong Base { get; }
        public List<(uint Index, uint Value)> Writes { get; } = [];

        public SimulatedIoApic(ulong baseAddress)
        {
            Base = baseAddress;
            _registers[VersionIndex] = (Entries - 1) << 16 | 0x20;
            lock (s_byBase) s_byBase[baseAddress] = this;
        }

        public static SimulatedIoApic At(ulong address)
        {
            lock (s_byBase) return s_byBase[address & ~0xFFUL];
        }

        public uint Read(ulong address) => (uint)(address - Base) switch
        {
            RegisterSelect => _selected,
            Window => _registers[_selected],
            _ => throw new InvalidOperationException($"no register at +0x{address - Base:x}"),
        };

        public void Write(ulong address, uint value)
        {
            switch ((uint)(address - Base))
            {
                case RegisterSelect: _selected = value; break;
                case Window: _registers[_selected] = value; Writes.Add((_selected, value)); break;
                default: throw new InvalidOperationException($"no register at +0x{address - Base:x}");
            }
        }
    }
}

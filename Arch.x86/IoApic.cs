using Kernel.Arch.Acpi;
using Kernel.Lib;

namespace Kernel.Arch
{
    /// <summary>
    /// One I/O APIC (a machine may have several; the MADT lists each with its GSI base). Registers are
    /// reached through an index/data window (82093AA I/O APIC datasheet §3.0: IOREGSEL at +0x00,
    /// IOWIN at +0x10; IOAPICVER at index 1, redirection table from index 0x10, two 32-bit halves each).
    /// </summary>
    public sealed unsafe class IoApic
    {
        private const uint RegisterSelect = 0x00, Window = 0x10;
        private const uint VersionIndex = 0x01, RedirectionBase = 0x10;
        internal const uint Masked = 1u << 16, LevelTriggered = 1u << 15, ActiveLow = 1u << 13;   // the self-tests read entries back
        private const uint DestinationMask = 0xFFu << 24;           // the high half's bits 31:24: entry bits 63:56

        /// <summary>
        /// The highest APIC ID an entry can name: physical destination mode holds 8 bits (entry bits 63:56), and 0xFF is
        /// the broadcast. CPUs above it (x2APIC machines) are reached only through interrupt remapping (Intel VT-d
        /// remapping-table entries, AMD-Vi), whose 32-bit destinations this kernel does not program: device interrupts
        /// stay on CPUs it can name. IPIs are unaffected (the x2APIC ICR carries 32 bits).
        /// </summary>
        public const uint MaxDestination = Acpi.ApicMode.MaxXApicId;

        public readonly uint Id;
        public readonly ulong Address;
        public readonly uint GsiBase;
        public readonly uint EntryCount;

        public IoApic(uint id, ulong address, uint gsiBase)
        {
            Id = id;
            Address = address;
            GsiBase = gsiBase;
            EntryCount = ((ReadRegister(VersionIndex) >> 16) & 0xFF) + 1;   // bits 23:16 = highest entry index
        }

        private const int IsaIrqCount = 16;

        private static IoApic[] s_all = new IoApic[0];
        private static MadtOverride[] s_overrides = new MadtOverride[0];

        public static IoApic[] All => s_all;

        /// <summary>One instance per MADT entry, every input masked until a driver routes it.</summary>
        public static void InitializeAll(MadtInfo madt)
        {
            s_overrides = madt.Overrides;
            s_all = new IoApic[madt.IoApics.Length];
            for (int i = 0; i < s_all.Length; i++)
            {
                s_all[i] = new IoApic(madt.IoApics[i].Id, madt.IoApics[i].Address, madt.IoApics[i].GsiBase);
                s_all[i].MaskAll();
                Log.Info("ioapic", $"I/O APIC {s_all[i].Id} at 0x{s_all[i].Address:x}: GSIs {s_all[i].GsiBase}-{s_all[i].GsiBase + s_all[i].EntryCount - 1}, all masked");
            }
            if (s_all.Length == 0) Log.Warn("ioapic", "the MADT lists no I/O APIC: no device interrupts");
        }

        public static IoApic ForGsi(uint gsi)
        {
            for (int i = 0; i < s_all.Length; i++)
                if (s_all[i].Covers(gsi)) return s_all[i];
            return null;
        }

        /// <summary>
        /// Where a legacy ISA IRQ arrives, honouring the MADT's interrupt source overrides (ACPI 6.5 §5.2.12.5):
        /// its GSI, polarity and trigger. Without an override an ISA IRQ is GSI = IRQ, edge, active high.
        /// </summary>
        public static void ResolveIsaIrq(byte irq, out uint gsi, out bool activeLow, out bool levelTriggered)
        {
            gsi = irq;
            activeLow = false;
            levelTriggered = false;
            for (int i = 0; i < s_overrides.Length; i++)
            {
                if (s_overrides[i].Bus != 0 || s_overrides[i].SourceIrq != irq) continue;
                gsi = s_overrides[i].Gsi;
                activeLow = s_overrides[i].Polarity == InterruptPolarity.ActiveLow;
                levelTriggered = s_overrides[i].Trigger == InterruptTrigger.Level;
            }
        }

        /// <summary>
        /// Routes a legacy ISA IRQ to <paramref name="vector"/> on one CPU; false if no I/O APIC serves its GSI or the
        /// CPU's APIC ID is above <see cref="MaxDestination"/>.
        /// </summary>
        public static bool RouteIsaIrq(byte irq, byte vector, uint destinationApicId, bool masked) =>
            RouteIsaIrq(irq, vector, destinationApicId, masked, out _);

        /// <summary>As above; when the route cannot be made, <paramref name="whyNot"/> says why, for the caller's warning.</summary>
        public static bool RouteIsaIrq(byte irq, byte vector, uint destinationApicId, bool masked, out string whyNot)
        {
            IoApic ioApic = null;
            uint gsi = 0;
            bool activeLow = false, levelTriggered = false;
            if (irq < IsaIrqCount)
            {
                ResolveIsaIrq(irq, out gsi, out activeLow, out levelTriggered);
                ioApic = ForGsi(gsi);
            }
            whyNot = irq >= IsaIrqCount ? "not an ISA IRQ"
                   : destinationApicId > MaxDestination ? "its destination's APIC ID is above 254, which an I/O APIC entry cannot name"
                   : ioApic == null ? "no I/O APIC input serves it"
                   : null;
            if (whyNot != null) return false;
            ioApic.Route(gsi, vector, destinationApicId, activeLow, levelTriggered, masked);
            return true;
        }

        public bool Covers(uint gsi) => gsi >= GsiBase && gsi < GsiBase + EntryCount;

        public void MaskAll()
        {
            for (uint entry = 0; entry < EntryCount; entry++) WriteEntry(entry, Masked, 0);
        }

        /// <summary>Delivers <paramref name="gsi"/> as <paramref name="vector"/> to one CPU (fixed delivery, physical destination).</summary>
        public void Route(uint gsi, byte vector, uint destinationApicId, bool activeLow, bool levelTriggered, bool masked)
        {
            uint low = vector | (activeLow ? ActiveLow : 0) | (levelTriggered ? LevelTriggered : 0) | (masked ? Masked : 0);
            WriteEntry(gsi - GsiBase, low, destinationApicId << 24);
        }

        /// <summary>The APIC ID an entry delivers to (physical destination mode: bits 63:56).</summary>
        public uint Destination(uint gsi) => (uint)(ReadEntry(gsi) >> 56);

        /// <summary>
        /// Points an entry at another CPU, keeping everything else (mask, vector, trigger, polarity); false, and no change,
        /// above <see cref="MaxDestination"/>. Only the destination half is written: the entry is consistent before and
        /// after, and it is never masked, since an edge arriving at a masked pin is dropped, not held (82093AA
        /// datasheet §3.2.4, Interrupt Mask).
        /// </summary>
        public bool SetDestination(uint gsi, uint apicId)
        {
            if (apicId > MaxDestination) return false;
            uint high = ReadRegister(RedirectionBase + 2 * (gsi - GsiBase) + 1);
            WriteRegister(RedirectionBase + 2 * (gsi - GsiBase) + 1, (high & ~DestinationMask) | apicId << 24);
            return true;
        }

        /// <summary>The redirection entry for <paramref name="gsi"/> as (low | high &lt;&lt; 32).</summary>
        public ulong ReadEntry(uint gsi)
        {
            uint index = RedirectionBase + 2 * (gsi - GsiBase);
            return ReadRegister(index) | ((ulong)ReadRegister(index + 1) << 32);
        }

        /// <summary>Puts back an entry as <see cref="ReadEntry"/> returned it.</summary>
        public void WriteEntry(uint gsi, ulong entry) => WriteEntry(gsi - GsiBase, (uint)entry, (uint)(entry >> 32));

        private void WriteEntry(uint entry, uint low, uint high)
        {
            uint index = RedirectionBase + 2 * entry;
            WriteRegister(index, low | Masked);      // mask while the halves disagree
            WriteRegister(index + 1, high);
            WriteRegister(index, low);
        }

        private uint ReadRegister(uint index)
        {
            Mmio.Write32(Address + RegisterSelect, index);
            return Mmio.Read32(Address + Window);
        }

        private void WriteRegister(uint index, uint value)
        {
            Mmio.Write32(Address + RegisterSelect, index);
            Mmio.Write32(Address + Window, value);
        }
    }
}

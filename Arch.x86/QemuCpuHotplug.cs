using Kernel.Arch.Acpi;
using Kernel.Lib;

namespace Kernel.Arch
{
    /// <summary>
    /// Physical CPU hot-plug on QEMU, without an AML interpreter: the kernel recognises QEMU's chipset by its
    /// host bridge, switches QEMU's CPU hot-plug register block to the modern interface and handles its events
    /// (QEMU docs/specs/acpi_cpu_hotplug.rst; hw/acpi/cpu.c). An event raises GPE bit 2, which QEMU delivers as
    /// the SCI (the FADT's SCI_INT, routed through the I/O APIC); the handler only acknowledges it and tells the
    /// kernel (KernelEntry.FirmwareHotplugEvent). The kernel then reads the events here one by one and decides what to
    /// do (Kernel/Smp/PhysicalHotplug.cs): start an added CPU, or take a removed one down; this file tells QEMU the
    /// outcome (OST) and, for a removal, ejects.
    /// QEMU's MADT lists every possible CPU, absent ones with Enabled clear and no Online Capable bit; on QEMU
    /// those entries are the hot-plug slots (on other firmware only Online Capable entries would be).
    /// </summary>
    public static unsafe class QemuCpuHotplug
    {
        private const ushort Q35Base = 0x0CD8, I440fxBase = 0xAF00;          // QEMU hw/i386/acpi-build.c
        private const ushort IntelVendor = 0x8086, Q35HostBridge = 0x29C0, I440fxHostBridge = 0x1237;
        // The block's registers, as offsets from its base (QEMU docs/specs/acpi_cpu_hotplug.rst, the modern interface):
        private const ushort SelectorRegister = 0;   // write: select a CPU; read (32 bits at 0x0): the command's data
        private const ushort FlagsRegister = 4;      // the selected CPU: read its state and events, write to clear or eject
        private const ushort CommandRegister = 5;    // write: the command; the data register then reads or takes its data
        private const ushort DataRegister = 8;       // 32-bit command data
        private const byte CommandSelectNextEvent = 0, CommandOstEvent = 1, CommandOstStatus = 2, CommandArchId = 3;
        private const byte FlagEnabled = 1, FlagInsert = 2, FlagRemove = 4, ActionEject = 8;
        private const uint OstEventInsert = 1, OstEventEject = 3, OstStatusSuccess = 0, OstStatusEjectSuccess = 0x84;   // ACPI 6.5 §6.3.5 _OST
        private const byte GpeCpuHotplugBit = 1 << 2;                         // QEMU: GPE0 bit 2

        private static ushort s_base;
        private static ushort s_gpeStatus, s_gpeEnable;
        private static int s_pending;
        private static bool s_polling;

        public static bool Present => s_base != 0;

        private static ushort Port(ushort register) => (ushort)(s_base + register);

        /// <summary>True when no SCI route exists, so the kernel task must look for events periodically.</summary>
        public static bool Polling => s_polling;
        public static ulong EventsHandled { get; private set; }

        /// <summary>One CPU hot-plug event: the slot (QEMU's selector), the CPU's APIC ID, and what happened.</summary>
        public readonly struct Event
        {
            public readonly uint Selector, ApicId;
            public readonly bool Insert;       // else a removal request
            public readonly bool Enabled;      // the CPU is present: false for a repeated device_del

            public Event(uint selector, uint apicId, bool insert, bool enabled)
            {
                Selector = selector;
                ApicId = apicId;
                Insert = insert;
                Enabled = enabled;
            }
        }

        /// <param name="sciDestination">the APIC ID the SCI is routed to</param>
        public static void Initialize(FadtInfo fadt, int slots, uint sciDestination)
        {
            if (!QemuFwCfg.Present || fadt == null || fadt.Gpe0Port == 0 || fadt.Gpe0BlockLength < 2) return;
            ushort hostBridge = PciHostBridgeDevice();
            s_base = hostBridge == Q35HostBridge ? Q35Base : hostBridge == I440fxHostBridge ? I440fxBase : (ushort)0;
            if (s_base == 0) return;

            CpuNative.OutL(Port(SelectorRegister), 0);                    // writing 0 selects the modern interface
            CpuNative.OutL(Port(SelectorRegister), 0);
            CpuNative.OutB(Port(CommandRegister), CommandSelectNextEvent);
            if (CpuNative.InL(Port(SelectorRegister)) != 0)
            {
                Log.Warn("hotplug", $"QEMU's CPU hot-plug block at 0x{s_base:x} stayed in legacy mode: no physical hot-plug");
                s_base = 0;
                return;
            }
            int present = 0;
            for (uint selector = 0; selector < (uint)slots; selector++)
                if ((Flags(selector) & FlagEnabled) != 0) present++;

            s_gpeStatus = (ushort)fadt.Gpe0Port;
            s_gpeEnable = (ushort)(fadt.Gpe0Port + fadt.Gpe0BlockLength / 2u);
            CpuNative.OutB(s_gpeStatus, GpeCpuHotplugBit);                                        // write 1 to clear
            CpuNative.OutB(s_gpeEnable, (byte)(CpuNative.InB(s_gpeEnable) | GpeCpuHotplugBit));
            RouteSci(fadt.SciInterrupt, sciDestination);
            Log.Info("hotplug", $"ready: QEMU CPU hot-plug registers at 0x{s_base:x} (modern), {slots} slots, {present} CPUs present{(s_polling ? ", polling" : "")}");
        }

        /// <summary>Whether the SCI announced events since the last call (or, without an SCI route, the GPE shows one).</summary>
        public static bool TakeAnnouncement()
        {
            if (!Present) return false;
            if (s_polling && (CpuNative.InB(s_gpeStatus) & GpeCpuHotplugBit) != 0)
            {
                CpuNative.OutB(s_gpeStatus, GpeCpuHotplugBit);
                Atomic.Write(ref s_pending, 1);
            }
            return Atomic.Swap(ref s_pending, 0) != 0;
        }

        /// <summary>The next CPU with an insert or remove event pending, selected for the calls below; false if none.</summary>
        public static bool NextEvent(out Event next)
        {
            next = default;
            CpuNative.OutL(Port(SelectorRegister), 0);
            CpuNative.OutB(Port(CommandRegister), CommandSelectNextEvent);
            byte flags = CpuNative.InB(Port(FlagsRegister));
            if ((flags & (FlagInsert | FlagRemove)) == 0) return false;
            uint selector = CpuNative.InL(Port(DataRegister));
            CpuNative.OutL(Port(SelectorRegister), selector);
            CpuNative.OutB(Port(CommandRegister), CommandArchId);
            next = new Event(selector, CpuNative.InL(Port(DataRegister)), (flags & FlagInsert) != 0, (flags & FlagEnabled) != 0);
            EventsHandled++;
            return true;
        }

        /// <summary>Clears an insert event and reports it taken (OST), before the kernel tries to start the CPU.</summary>
        public static void AcknowledgeInsert(uint selector)
        {
            CpuNative.OutL(Port(SelectorRegister), selector);
            CpuNative.OutB(Port(FlagsRegister), FlagInsert);
            Ost(OstEventInsert, OstStatusSuccess);
        }

        /// <summary>Clears a removal request the kernel refused: the CPU stays.</summary>
        public static void RefuseRemoval(uint selector)
        {
            CpuNative.OutL(Port(SelectorRegister), selector);
            CpuNative.OutB(Port(FlagsRegister), FlagRemove);
        }

        /// <summary>Clears a removal request and, for a CPU still present, reports it done (OST) and ejects it; QEMU removes it synchronously.</summary>
        public static void Eject(Event removal)
        {
            CpuNative.OutL(Port(SelectorRegister), removal.Selector);
            CpuNative.OutB(Port(FlagsRegister), FlagRemove);
            if (!removal.Enabled) return;   // a repeated device_del: nothing to eject
            Ost(OstEventEject, OstStatusEjectSuccess);
            CpuNative.OutL(Port(SelectorRegister), removal.Selector);
            CpuNative.OutB(Port(FlagsRegister), ActionEject);
        }

        private static void Ost(uint eventCode, uint status)
        {
            CpuNative.OutB(Port(CommandRegister), CommandOstEvent);
            CpuNative.OutL(Port(DataRegister), eventCode);
            CpuNative.OutB(Port(CommandRegister), CommandOstStatus);
            CpuNative.OutL(Port(DataRegister), status);
        }

        private static byte Flags(uint selector)
        {
            CpuNative.OutL(Port(SelectorRegister), selector);
            return CpuNative.InB(Port(FlagsRegister));
        }

        // The SCI is an ISA IRQ (level, active high per QEMU's override); its handler acknowledges GPE bit 2.
        private static void RouteSci(ushort sci, uint destination)
        {
            Interrupts.Register(InterruptVectors.AcpiSci, &OnSci, takesBigKernelLock: true);
            if (sci < 16 && IoApic.RouteIsaIrq((byte)sci, InterruptVectors.AcpiSci, destination, masked: false)) return;
            s_polling = true;   // no route: the kernel task looks at the GPE status periodically instead
        }

        private static void OnSci(TrapFrame* frame)
        {
            if ((CpuNative.InB(s_gpeStatus) & GpeCpuHotplugBit) == 0) return;
            CpuNative.OutB(s_gpeStatus, GpeCpuHotplugBit);   // clear before EOI: the SCI is level-triggered
            Atomic.Write(ref s_pending, 1);
            KernelEntry.FirmwareHotplugEvent();
        }

        private static ushort PciHostBridgeDevice()
        {
            uint id = PciConfig.Read32(device: 0, function: 0, offset: 0);   // vendor and device ID of 00:00.0
            return (ushort)(id & 0xFFFF) == IntelVendor ? (ushort)(id >> 16) : (ushort)0;
        }
    }
}

namespace Kernel.Arch
{
    /// <summary>
    /// The kernel's vector map, in one place. Vectors 0–31 are the CPU's exceptions (SDM Vol. 3A §6.2).
    /// The local APIC's priority class is vector / 16, so IPIs that must get through sit highest.
    /// </summary>
    public static class InterruptVectors
    {
        public const byte LegacyPicBase = 0x20;      // 0x20–0x2F: the masked 8259s' spurious IRQ 7 / 15 land here
        public const byte Timer = 0x30;              // local APIC timer
        public const byte DeviceBase = 0x40;         // I/O APIC routed device interrupts: 0x40 + GSI
        public const byte DeviceLast = 0xDF;
        public const byte Keyboard = 0x41;           // DeviceBase + 1: ISA IRQ 1, the 8042's keyboard port
        public const byte SerialCom1 = 0x44;         // DeviceBase + 4: ISA IRQ 4, COM1
        public const byte AcpiSci = 0x49;            // DeviceBase + 9: QEMU's SCI_INT
        public const byte Reschedule = 0xE0;         // "look at your run queue": a lower class than the IPIs below
        public const byte LatencyProbe = 0xE1;       // the IPI round-trip benchmark's ping...
        public const byte LatencyEcho = 0xE2;        // ...and its reply
        public const byte IpiStorm = 0xE3;           // the IPI storm test's requests, registered only while it runs
        public const byte CrossCpuCall = 0xF0;       // call-function requests between CPUs
        public const byte Stop = 0xF1;               // park this CPU
        public const byte ApicError = 0xFE;
        public const byte Spurious = 0xFF;           // low 4 bits all ones: required by P6-era APICs (§11.9)

        public static bool IsLegacyPic(ulong vector) => vector >= LegacyPicBase && vector < LegacyPicBase + 16;
    }
}

namespace Kernel.Arch
{
    /// <summary>
    /// The kernel's vector map, in one place. Vectors 0–31 are the CPU's exceptions (SDM Vol. 3A §6.2).
    /// The local APIC's priority class is vector / 16 (§11.8.3), so the two highest classes hold what a CPU halted in a
    /// wait (Kernel/Sync/SpinThenHalt.cs) must still take, which it selects by raising its task priority: class 0xF,
    /// taken by every halted wait, holds the kick and the tick (whose handler takes no lock and bounds a wait with a
    /// deadline); class 0xE holds cross-CPU calls, taken by waits that service them (the big kernel lock's: a holder may
    /// be waiting for the waiter to run its call) and by waiters that had interrupts on. Their handlers send the EOI first (Interrupts.Register),
    /// so no such vector in service ever holds a nested wait's kick back.
    /// </summary>
    public static class InterruptVectors
    {
        public const byte LegacyPicBase = 0x20;      // 0x20–0x2F: the masked 8259s' spurious IRQ 7 / 15 land here
        public const byte DeviceBase = 0x40;         // I/O APIC routed device interrupts: 0x40 + GSI
        public const byte DeviceLast = 0xCF;
        public const byte Keyboard = 0x41;           // DeviceBase + 1: ISA IRQ 1, the 8042's keyboard port
        public const byte SerialCom1 = 0x44;         // DeviceBase + 4: ISA IRQ 4, COM1
        public const byte AcpiSci = 0x49;            // DeviceBase + 9: QEMU's SCI_INT
        public const byte Reschedule = 0xD0;         // "look at your run queue"
        public const byte LatencyProbe = 0xD1;       // the IPI round-trip benchmark's ping...
        public const byte LatencyEcho = 0xD2;        // ...and its reply
        public const byte IpiStorm = 0xD3;           // the IPI storm test's requests, registered only while it runs
        public const byte ApicError = 0xDD;
        public const byte Stop = 0xDE;               // park this CPU: never inside a wait, which may hold a ticket
        public const byte CrossCpuCall = 0xE0;       // call-function requests between CPUs
        public const byte Kick = 0xF0;               // "your condition holds": wakes a CPU halted in a wait
        public const byte Timer = 0xF1;              // local APIC timer
        public const byte Spurious = 0xFF;           // low 4 bits all ones: required by P6-era APICs (§11.9)

        /// <summary>The task priority (CR8, a class) of a halted wait that does not service calls: class 0xF gets in.</summary>
        public const ulong HaltedWaitPriority = 0xE;

        /// <summary>The task priority of a halted wait that services cross-CPU calls: classes 0xE and 0xF get in.</summary>
        public const ulong HaltedServicingWaitPriority = 0xD;

        public static bool IsLegacyPic(ulong vector) => vector >= LegacyPicBase && vector < LegacyPicBase + 16;
    }
}

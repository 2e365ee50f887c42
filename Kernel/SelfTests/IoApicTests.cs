using Kernel.Arch;
using Kernel.Testing;
using Kernel.Smp;

namespace Kernel.SelfTests
{
    [SelfTestSuite("ioapic")]
    public static unsafe class IoApicTests
    {
        private const byte TestVector = InterruptVectors.DeviceBase;

        [SelfTest]
        public static void EveryIsaIrqRoutesAsTheOverridesSay()
        {
            if (IoApic.All.Length == 0) Assert.Skip("no I/O APIC in the MADT");
            uint boot = KernelCpu.Current->ApicId;
            for (byte irq = 0; irq < 16; irq++)
            {
                IoApic.ResolveIsaIrq(irq, out uint gsi, out bool activeLow, out bool level);
                IoApic ioApic = IoApic.ForGsi(gsi);
                if (ioApic == null) continue;
                ulong original = ioApic.ReadEntry(gsi);   // COM1, the keyboard and the SCI are routed: they must work on
                bool routed = IoApic.RouteIsaIrq(irq, TestVector, boot, masked: true);
                ulong entry = ioApic.ReadEntry(gsi);
                ioApic.WriteEntry(gsi, original);
                Assert.True(routed, "routing succeeds");
                Assert.Equal((ulong)TestVector, (byte)entry, "vector (bits 7:0)");
                Assert.True((entry & IoApic.Masked) != 0, "still masked");
                Assert.True(((entry & IoApic.LevelTriggered) != 0) == level, "trigger mode from the override");
                Assert.True(((entry & IoApic.ActiveLow) != 0) == activeLow, "polarity from the override");
                Assert.Equal((ulong)boot, entry >> 56, "destination APIC ID");
            }
        }

        [SelfTest]
        public static void AnApicIdTheEntryCannotNameIsRefusedNotTruncated()
        {
            if (IoApic.All.Length == 0) Assert.Skip("no I/O APIC in the MADT");
            IoApic.ResolveIsaIrq(RefusedIrq, out uint gsi, out _, out _);
            IoApic ioApic = IoApic.ForGsi(gsi);
            if (ioApic == null) Assert.Skip("no I/O APIC serves the IRQ");
            ulong original = ioApic.ReadEntry(gsi);
            // APIC ID 300 would become 44 (300 & 0xFF) in the 8-bit field: a device interrupt to the wrong CPU.
            Assert.False(IoApic.RouteIsaIrq(RefusedIrq, TestVector, 300, masked: true), "routing to APIC ID 300 is refused");
            Assert.False(ioApic.SetDestination(gsi, IoApic.MaxDestination + 1), "retargeting to APIC ID 255 is refused");
            Assert.EqualHex(original, ioApic.ReadEntry(gsi), "the entry is unchanged");
        }

        private const byte RefusedIrq = 5;   // an ISA IRQ no device of the kernel uses

        [SelfTest]
        public static void QemuTimerIrqIsOverriddenToGsi2()
        {
            if (!QemuFwCfg.Present) Assert.Skip("QEMU-specific expectation");
            IoApic.ResolveIsaIrq(0, out uint gsi, out _, out _);
            Assert.Equal(2ul, gsi, "QEMU's MADT maps ISA IRQ 0 to GSI 2");
        }
    }
}

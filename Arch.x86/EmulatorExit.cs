namespace Kernel.Arch
{
    /// <summary>
    /// Ends the emulator a test or benchmark run boots in, with the run's verdict where the emulator can carry one.
    /// QEMU's isa-debug-exit device (hw/misc/debugexit.c; -device isa-debug-exit,iobase=0xf4,iosize=0x04): writing v
    /// makes QEMU exit with status (v &lt;&lt; 1) | 1. Bochs has no such device but quits when "Shutdown" is written to its
    /// port 0x8900 (bochs iodev/unmapped.cc), which also flushes the COM1 file it buffers. On a machine with neither,
    /// the writes go nowhere and the caller halts.
    /// </summary>
    public static class EmulatorExit
    {
        private const ushort QemuDebugExitPort = 0xF4;
        private const ushort BochsShutdownPort = 0x8900;

        public static void Exit(GuestExitCode code)
        {
            Request(code);
            const string shutdown = "Shutdown";
            for (int i = 0; i < shutdown.Length; i++) CpuNative.OutB(BochsShutdownPort, (byte)shutdown[i]);
            CpuNative.HaltForever();
        }

        /// <summary>QEMU's exit alone, for a caller that goes on when QEMU did not exit.</summary>
        public static void Request(GuestExitCode code) => CpuNative.OutL(QemuDebugExitPort, (uint)code);
    }

    /// <summary>The values the kernel reports; QEMU's status is (value &lt;&lt; 1) | 1: 1, 3, 5, 7.</summary>
    public enum GuestExitCode : uint
    {
        Success = 0,
        TestsFailed = 1,
        Panic = 2,
        PowerOffFallback = 3,   // ACPI S5 did not end QEMU (Power.PowerOff)
    }
}

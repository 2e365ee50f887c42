namespace Kernel.Arch
{
    /// <summary>
    /// QEMU's isa-debug-exit device (docs: hw/misc/debugexit.c; -device isa-debug-exit,iobase=0xf4,iosize=0x04):
    /// writing v makes QEMU exit with status (v &lt;&lt; 1) | 1. On a machine without the device the
    /// write goes nowhere and the caller halts.
    /// </summary>
    public static class QemuDebugExit
    {
        private const ushort Port = 0xF4;

        public static void Exit(GuestExitCode code)
        {
            Request(code);
            CpuNative.HaltForever();
        }

        /// <summary>The write alone, for a caller that goes on when QEMU did not exit.</summary>
        public static void Request(GuestExitCode code) => CpuNative.OutL(Port, (uint)code);
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

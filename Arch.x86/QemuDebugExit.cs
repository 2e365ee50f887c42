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
            CpuNative.OutL(Port, (uint)code);
            CpuNative.HaltForever();
        }
    }

    /// <summary>The values the self-test runner reports; QEMU's status is (value &lt;&lt; 1) | 1: 1, 3, 5.</summary>
    public enum GuestExitCode : uint
    {
        Success = 0,
        TestsFailed = 1,
        Panic = 2,
    }
}

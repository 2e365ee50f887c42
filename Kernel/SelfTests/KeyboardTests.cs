using Kernel.Arch;
using Kernel.Lib;
using Kernel.Testing;

namespace Kernel.SelfTests
{
    /// <summary>
    /// The PS/2 keyboard: the 8042 QEMU emulates is found, and — when the kernel option test.keys says a host will type
    /// (Tests/Boot/KeyboardBootTests.cs sends the keys through QEMU's monitor) — keys pressed outside the guest arrive
    /// through IRQ 1 as the bytes a terminal sends.
    /// </summary>
    [SelfTestSuite("keyboard")]
    public static unsafe class KeyboardTests
    {
        /// <summary>The keys the host sends (QEMU sendkey names, read by the host from the waiting line) and the bytes they must become.</summary>
        private const string HostKeys = "h shift-a ret left ctrl-c backspace delete";
        private const string Expected = "hA\r\u001b[D\u0003\u007f\u001b[3~";
        private const ulong WaitMicros = 60_000_000;

        [SelfTest]
        public static void ControllerFound()
        {
            if (!QemuFwCfg.Present) Assert.Skip("not QEMU: a machine may have no 8042");
            Assert.True(Ps2Keyboard.Present, "QEMU's i8042 was found and IRQ 1 routed");
        }

        [SelfTest]
        public static void TypedKeysArrive()
        {
            if (!KernelMain.Options.Has("test.keys")) Assert.Skip("needs test.keys and a host that types");
            if (!Ps2Keyboard.Present) Assert.Fail("no PS/2 keyboard");
            ulong start = Ps2Keyboard.BytesProduced;
            Log.Info("keyboard", $"test: waiting for keys: {HostKeys}");
            ulong deadline = Tsc.DeadlineAfter(WaitMicros);
            while (Ps2Keyboard.BytesProduced - start < (ulong)Expected.Length && Tsc.Read() < deadline) CpuNative.Pause();
            Assert.Equal((ulong)Expected.Length, Ps2Keyboard.BytesProduced - start, "bytes produced by the keys");
            byte* received = stackalloc byte[Expected.Length];
            Ps2Keyboard.CopyRecent(received, Expected.Length);
            for (int i = 0; i < Expected.Length; i++) Assert.EqualHex(Expected[i], received[i], "byte in order");
        }
    }
}

using Kernel.Testing;

namespace Kernel.SelfTests
{
    /// <summary>
    /// Proves the host harness notices a failing or panicking guest: the test-only kernel options
    /// `test.fail` and `test.panic` make this one test fail or panic, `test.ap-fault` makes CPU 1
    /// execute an invalid opcode and `test.bsp-fault` makes CPU 0 read address 0, with nothing to catch
    /// either, `test.console-fault` reads address 0 while holding the console lock (the report must not wait for it),
    /// `test.double-lock` takes a spinlock twice, and `test.exhaust-heap` / `test.exhaust-pages`
    /// allocate until the heap or the page allocator runs dry; without them it passes.
    /// </summary>
    [SelfTestSuite("harness")]
    public static class HarnessTests
    {
        [SelfTest]
        public static unsafe void Canary()
        {
            if (KernelMain.Options.Has("test.panic")) Panic.Halt("test.panic: deliberate panic requested on the command line");
            if (KernelMain.Options.Has("test.double-lock"))
            {
                s_lock.Acquire();
                s_lock.Acquire();
            }
            if (KernelMain.Options.Has("test.ap-fault"))
                Assert.True(Smp.CrossCpuCall.CallOn(1, &InvalidOpcode, null), "test.ap-fault needs a second CPU");
            if (KernelMain.Options.Has("test.bsp-fault")) Smp.CrossCpuCall.CallOn(0, &ReadAddressZero, null);
            if (KernelMain.Options.Has("test.console-fault")) Diagnostics.Console.RunLocked(&ReadAddressZeroWhileWriting);
            if (KernelMain.Options.Has("test.exhaust-heap"))
                while (true) s_hoard = new byte[ExhaustionStepBytes];
            if (KernelMain.Options.Has("test.exhaust-pages"))
                while (true) Memory.PhysicalMemory.AllocateZeroedPagesOrPanic(ExhaustionStepPages, "test.exhaust-pages");
            Assert.False(KernelMain.Options.Has("test.fail"), "test.fail: deliberate failure requested on the command line");
        }

        private static Sync.SpinLock s_lock;
        private static byte[] s_hoard;          // keeps each allocation observable, so none is optimised away
        private static ulong s_zero = 0;        // a null pointer the compiler cannot see through
        private const int ExhaustionStepBytes = 256 * 1024;
        private const ulong ExhaustionStepPages = 16;

        private static unsafe void ReadAddressZero(void* unused) => s_hoard = new byte[*(byte*)s_zero];

        private static unsafe void ReadAddressZeroWhileWriting() => s_hoard = new byte[*(byte*)s_zero];

        private static unsafe void InvalidOpcode(void* unused) => Arch.CpuNative.ProbeInvalidOpcode();
    }
}

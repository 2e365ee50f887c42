using Kernel.SelfTest;

namespace Kernel.SelfTests
{
    /// <summary>
    /// Proves the host harness notices a failing or panicking guest: the test-only kernel options
    /// `test.fail` and `test.panic` make this one test fail or panic, and `test.ap-fault` makes CPU 1
    /// execute an invalid opcode with nothing to catch it, and `test.double-lock` takes a spinlock twice;
    /// without them it passes.
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
            Assert.False(KernelMain.Options.Has("test.fail"), "test.fail: deliberate failure requested on the command line");
        }

        private static Sync.SpinLock s_lock;

        private static unsafe void InvalidOpcode(void* unused) => Arch.CpuNative.ProbeInvalidOpcode();
    }
}

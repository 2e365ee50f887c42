using Kernel.SelfTest;

namespace Kernel.SelfTests
{
    /// <summary>
    /// Proves the host harness notices a failing or panicking guest: the test-only kernel options
    /// `test.fail` and `test.panic` make this one test fail or panic; without them it passes.
    /// </summary>
    [SelfTestSuite("harness")]
    public static class HarnessTests
    {
        [SelfTest]
        public static void Canary()
        {
            if (KernelMain.Options.Has("test.panic")) Panic.Halt("test.panic: deliberate panic requested on the command line");
            Assert.False(KernelMain.Options.Has("test.fail"), "test.fail: deliberate failure requested on the command line");
        }
    }
}

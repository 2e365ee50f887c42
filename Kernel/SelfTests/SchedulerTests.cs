using Kernel.Arch;
using Kernel.Proc;
using Kernel.SelfTest;
using Kernel.Servers;
using Kernel.Smp;
using Kernel.Sync;

namespace Kernel.SelfTests
{
    /// <summary>
    /// The scheduler on real CPUs, after sel4test's MULTICORE suite: migration, suspending and killing a process on
    /// another CPU, fair shares, per-process SSE state across preemption and migration, sleeps, faults, hot-plug.
    /// </summary>
    [SelfTestSuite("sched")]
    public static unsafe class SchedulerTests
    {
        private const int Hello = 1;

        [SelfTest]
        public static void AProcessRunsAndReports()
        {
            ProcessTestKit.KillStrays();
            int child = ProcessTestKit.Spawn("hello", &SayHello, 42);
            Message message = ProcessTestKit.Expect(child, "the process's report");
            Assert.Equal((ulong)Hello, (ulong)message.Type, "message type");
            Assert.Equal(43ul, message.P0, "the process computed from its argument");
            Assert.True(ProcessTestKit.WaitForState(child, ProcessState.Dead), "it ended when its entry returned");
            Assert.Equal("returned", ProcessTable.At(Endpoint.SlotOf(child)).DeathReason, "why it ended");
        }

        private static void SayHello(ulong argument) => ProcessTestKit.Report(Hello, argument + 1);
    }
}

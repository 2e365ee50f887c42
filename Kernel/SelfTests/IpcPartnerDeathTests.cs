using Kernel.Arch;
using Kernel.Proc;
using Kernel.Servers;
using Kernel.Smp;
using Kernel.Testing;
using static Kernel.SelfTests.IpcPuppets;

namespace Kernel.SelfTests
{
    /// <summary>
    /// A partner dying: everyone blocked on it wakes with DeadEndpoint, its queued messages and notifications are withdrawn,
    /// and a process killed while it runs on another CPU sends nothing afterwards.
    /// </summary>
    [SelfTestSuite("ipc")]
    public static unsafe class IpcPartnerDeathTests
    {
        [SelfTest]
        public static void PartnerDeathWakesEveryoneBlockedOnIt()
        {
            int b = NewPuppet("b"), sender = NewPuppet("sender"), caller = NewPuppet("caller"),
                queuedCaller = NewPuppet("queued-caller"), receiver = NewPuppet("receiver");

            Command(sender, OpSend, b, 1);
            AwaitBlocked(sender, ProcessState.Sending, b, "a Send to b");
            Command(caller, OpSendRec, b, 2);
            AwaitBlocked(caller, ProcessState.Sending, b, "a SendRec to b");
            Command(queuedCaller, OpSendRec, b, 3);
            AwaitBlocked(queuedCaller, ProcessState.Sending, b, "a second SendRec to b");
            CheckReceived(Do(b, OpReceive, caller, IpcStatus.Ok, "b: Receive from the caller"), caller, Data, 2, "b's request");
            AwaitBlocked(caller, ProcessState.Receiving, b, "the caller waiting for b's reply");
            Command(receiver, OpReceive, b, 0);
            AwaitBlocked(receiver, ProcessState.Receiving, b, "a Receive from b");

            AssertStatus(IpcStatus.Ok, Scheduler.Kill(b, "test: partner death"), "killing b");
            Result(sender, IpcStatus.DeadEndpoint, "blocked in Send to b when b died");
            Result(caller, IpcStatus.DeadEndpoint, "in SendRec, waiting for b's reply when b died");
            Result(queuedCaller, IpcStatus.DeadEndpoint, "in SendRec, still queued on b when b died");
            Result(receiver, IpcStatus.DeadEndpoint, "blocked in Receive from b when b died");
        }

        [SelfTest]
        public static void DeadProcessesMessagesAndNotificationsAreWithdrawn()
        {
            int b = NewPuppet("b"), y = NewPuppet("y"), z = NewPuppet("z");
            Do(b, OpNotify, y, IpcStatus.Ok, "b: Notify to y");
            Command(b, OpSend, y, 0xB);
            AwaitBlocked(b, ProcessState.Sending, y, "b's Send to y");
            AssertStatus(IpcStatus.Ok, Scheduler.Kill(b, "test: a sender dies"), "killing b");
            Assert.True(Scheduler.WaitUntilOffCpu(b, ProcessKit.ReportTimeoutMicros), "b left its CPU");
            Do(y, OpTryReceive, Endpoint.Any, IpcStatus.NotReady, "y: neither b's message nor its notification is left");
            Do(y, OpTryReceive, b, IpcStatus.DeadEndpoint, "y: TryReceive from the dead b");
            Command(z, OpSend, y, 0x2);
            AwaitBlocked(z, ProcessState.Sending, y, "z's Send to y");
            CheckReceived(Do(y, OpReceive, Endpoint.Any, IpcStatus.Ok, "y: Receive from Any"), z, Data, 0x2, "y's queue holds z's message only");
            Result(z, IpcStatus.Ok, "z: its Send");
        }

        /// <summary>
        /// A process killed while it runs on another CPU must not complete an IPC call it enters afterwards: once Kill
        /// has returned and the process has left its CPU, nothing it sent may be found anywhere. The process notifies
        /// in a loop, so it is usually inside or waiting for the big kernel lock when the kernel task kills it.
        /// </summary>
        [SelfTest]
        public static void KilledProcessSendsNothingAfterKill()
        {
            int other = -1;
            for (int cpu = 1; cpu < Cpus.Count && other < 0; cpu++)
                if (Cpus.Get(cpu)->CpuState == CpuState.Online) other = cpu;
            if (other < 0) Assert.Skip("needs a second CPU: the process must run while the kernel task kills it");

            const int rounds = 20;
            int q = NewPuppet("q");
            int ghosts = 0;
            for (int round = 0; round < rounds; round++)
            {
                int notifier = ProcessKit.Spawn("notifier", &NotifyForever, (ulong)q, Scheduler.UserPriority, CpuSet.Of(other));
                Message ready = ProcessKit.Expect(notifier, "the notifier started");
                Assert.Equal((long)Ready, ready.Type, "the notifier's report");
                ClockServer.SleepFor(500 + 300 * (ulong)(round % 5));   // let it notify a while; only changes where the kill lands
                AssertStatus(IpcStatus.Ok, Scheduler.Kill(notifier, "test: killed while notifying"), "killing the notifier");
                Assert.True(Scheduler.WaitUntilOffCpu(notifier, ProcessKit.ReportTimeoutMicros), "the notifier left its CPU");
                Command(q, OpTryReceive, Endpoint.Any, 0);
                Message after = ProcessKit.Expect(q, "q's TryReceive after the kill");
                var status = (IpcStatus)(int)after.P1;
                if (status == IpcStatus.NotReady) continue;
                if (status == IpcStatus.Ok && Dec(after.P3) == Message.Notification && Dec(after.P2) == notifier) { ghosts++; continue; }
                Assert.Fail(string.Concat("q's TryReceive gave ", ProcessKit.StatusName(status), " type ", Dec(after.P3).ToString(),
                    " from ", Dec(after.P2).ToString()));
            }
            if (ghosts > 0)
                Assert.Fail(string.Concat("in ", ghosts.ToString(), " of ", rounds.ToString(),
                    " rounds a notification from the killed process was pending after Kill returned and the process left its CPU"));
            SelfTestRunner.Note(string.Concat(rounds.ToString(), " kills"));
        }

        [Process("ipc-test")]
        private static void NotifyForever(ulong target)
        {
            ProcessKit.Report(Ready);
            while (true) Ipc.Notify((int)target);
        }
    }
}

using Kernel.Proc;
using Kernel.Testing;
using static Kernel.SelfTests.IpcPuppets;

namespace Kernel.SelfTests
{
    /// <summary>
    /// Notifications: one pending per sender however often it notifies, delivered to a Receive that matches its sender,
    /// never to a SendRec waiting for its reply.
    /// </summary>
    [SelfTestSuite("ipc")]
    public static unsafe class IpcNotifyTests
    {
        [SelfTest]
        public static void NotifyCoalescesPerSender()
        {
            int r = NewPuppet("r"), n = NewPuppet("n"), m = NewPuppet("m");
            Do(n, OpNotify, r, IpcStatus.Ok, "n: first Notify to r");
            Do(n, OpNotify, r, IpcStatus.Ok, "n: second Notify to r");
            Do(n, OpNotify, r, IpcStatus.Ok, "n: third Notify to r");
            Message first = Do(r, OpReceive, Endpoint.Any, IpcStatus.Ok, "r: Receive from Any after three notifications");
            CheckReceived(first, n, Message.Notification, 0, "r's notification");
            Do(r, OpTryReceive, Endpoint.Any, IpcStatus.NotReady, "r: three notifications from n were one");

            Do(n, OpNotify, r, IpcStatus.Ok, "n: Notify to r");
            Do(m, OpNotify, r, IpcStatus.Ok, "m: Notify to r");
            Do(n, OpNotify, r, IpcStatus.Ok, "n: Notify to r again");
            Message one = Do(r, OpReceive, Endpoint.Any, IpcStatus.Ok, "r: first of two senders' notifications");
            Message two = Do(r, OpReceive, Endpoint.Any, IpcStatus.Ok, "r: second of two senders' notifications");
            Assert.Equal((long)Message.Notification, Dec(one.P3), "the first is a notification");
            Assert.Equal((long)Message.Notification, Dec(two.P3), "the second is a notification");
            int s1 = Dec(one.P2), s2 = Dec(two.P2);
            Assert.True((s1 == n && s2 == m) || (s1 == m && s2 == n), "one from each of n and m (senders' notifications do not merge)");
            Do(r, OpTryReceive, Endpoint.Any, IpcStatus.NotReady, "r: nothing more");
        }

        [SelfTest]
        public static void NotifyWakesReceiveFromAny()
        {
            int r = NewPuppet("r"), n = NewPuppet("n");
            Command(r, OpReceive, Endpoint.Any, 0);
            AwaitBlocked(r, ProcessState.Receiving, Endpoint.Any, "r's Receive from Any");
            Do(n, OpNotify, r, IpcStatus.Ok, "n: Notify to r");
            CheckReceived(Result(r, IpcStatus.Ok, "r: woken by the notification"), n, Message.Notification, 0, "r's notification");
            Do(r, OpTryReceive, Endpoint.Any, IpcStatus.NotReady, "r: the notification was delivered, not also left pending");
        }

        [SelfTest]
        public static void NotifyWaitsForAMatchingReceive()
        {
            int r = NewPuppet("r"), n = NewPuppet("n"), m = NewPuppet("m");
            Command(r, OpReceive, m, 0);
            AwaitBlocked(r, ProcessState.Receiving, m, "r's Receive from m");
            Do(n, OpNotify, r, IpcStatus.Ok, "n: Notify to r");
            AssertStillBlocked(r, ProcessState.Receiving, m, "r, receiving from m only, after n's notification");
            Do(m, OpSend, r, IpcStatus.Ok, "m: Send to r", 0x5);
            CheckReceived(Result(r, IpcStatus.Ok, "r: its Receive from m"), m, Data, 0x5, "r got m's message, not n's notification");

            Do(m, OpNotify, r, IpcStatus.Ok, "m: Notify to r");
            int high = Endpoint.SlotOf(n) > Endpoint.SlotOf(m) ? n : m, low = high == n ? m : n;
            CheckReceived(Do(r, OpReceive, high, IpcStatus.Ok, "r: Receive from the notifier in the higher slot"), high, Message.Notification, 0,
                "Receive from one source takes that source's notification");
            CheckReceived(Do(r, OpReceive, Endpoint.Any, IpcStatus.Ok, "r: Receive from Any"), low, Message.Notification, 0, "then the other's");
            Do(r, OpTryReceive, Endpoint.Any, IpcStatus.NotReady, "r: nothing more");
        }

        [SelfTest]
        public static void SendRecReplyWaitIgnoresNotificationsAndOthers()
        {
            int s = NewPuppet("server"), c = NewPuppet("client"), n = NewPuppet("n"), x = NewPuppet("x");
            Command(c, OpSendRec, s, 0xC);
            AwaitBlocked(c, ProcessState.Sending, s, "the client's SendRec (send half)");
            CheckReceived(Do(s, OpReceive, c, IpcStatus.Ok, "server: Receive from the client"), c, Data, 0xC, "the server's request");
            AwaitBlocked(c, ProcessState.Receiving, s, "the client waiting for the reply");

            Do(s, OpNotify, c, IpcStatus.Ok, "server: Notify to the client it has not answered yet");
            AssertStillBlocked(c, ProcessState.Receiving, s, "the client after a notification from the partner it awaits");
            Do(n, OpNotify, c, IpcStatus.Ok, "n: Notify to the client");
            AssertStillBlocked(c, ProcessState.Receiving, s, "the client after a notification from a third process");
            Command(x, OpSend, c, 0x3);
            AwaitBlocked(x, ProcessState.Sending, c, "x's Send to the waiting client");
            AssertStillBlocked(c, ProcessState.Receiving, s, "the client after a third process's Send");

            Do(s, OpSend, c, IpcStatus.Ok, "server: the reply", 0x5C);
            CheckReceived(Result(c, IpcStatus.Ok, "client: its SendRec"), s, Data, 0x5C, "the client's reply is the server's real reply");
            CheckReceived(Do(c, OpReceive, x, IpcStatus.Ok, "client: Receive from x"), x, Data, 0x3, "x's message waited");
            Result(x, IpcStatus.Ok, "x: its Send");
            CheckReceived(Do(c, OpTryReceive, s, IpcStatus.Ok, "client: the server's notification waited"), s, Message.Notification, 0, "the server's notification");
            CheckReceived(Do(c, OpTryReceive, n, IpcStatus.Ok, "client: n's notification waited"), n, Message.Notification, 0, "n's notification");
            Do(c, OpTryReceive, Endpoint.Any, IpcStatus.NotReady, "client: nothing more");
        }
    }
}

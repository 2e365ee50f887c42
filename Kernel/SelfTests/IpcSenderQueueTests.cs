using Kernel.Proc;
using Kernel.Testing;
using static Kernel.SelfTests.IpcPuppets;

namespace Kernel.SelfTests
{
    /// <summary>
    /// A receiver's queue of blocked senders: first in, first out for Receive(Any), any member taken by Receive from it,
    /// and a sender that dies leaves it.
    /// </summary>
    [SelfTestSuite("ipc")]
    public static unsafe class IpcSenderQueueTests
    {
        [SelfTest]
        public static void SendersQueueInOrderAndLeaveIt()
        {
            int r = NewPuppet("r"), x = NewPuppet("x"), y = NewPuppet("y"), z = NewPuppet("z");
            QueueSenders(r, x, y, z);
            CheckReceived(Do(r, OpReceive, y, IpcStatus.Ok, "r: Receive from y (the middle of the queue)"), y, Data, 2, "r's message from y");
            Result(y, IpcStatus.Ok, "y: its Send");
            CheckReceived(Do(r, OpReceive, z, IpcStatus.Ok, "r: Receive from z (the tail)"), z, Data, 3, "r's message from z");
            Result(z, IpcStatus.Ok, "z: its Send");
            CheckReceived(Do(r, OpReceive, Endpoint.Any, IpcStatus.Ok, "r: Receive from Any"), x, Data, 1, "r's message from x");
            Result(x, IpcStatus.Ok, "x: its Send");
            Do(r, OpTryReceive, Endpoint.Any, IpcStatus.NotReady, "r: the queue is empty");

            QueueSenders(r, x, y, z);
            CheckReceived(Do(r, OpReceive, Endpoint.Any, IpcStatus.Ok, "r: first Receive from Any"), x, Data, 1, "first in, first out (x)");
            CheckReceived(Do(r, OpReceive, Endpoint.Any, IpcStatus.Ok, "r: second Receive from Any"), y, Data, 2, "first in, first out (y)");
            CheckReceived(Do(r, OpReceive, Endpoint.Any, IpcStatus.Ok, "r: third Receive from Any"), z, Data, 3, "first in, first out (z)");
            Result(x, IpcStatus.Ok, "x: its Send");
            Result(y, IpcStatus.Ok, "y: its Send");
            Result(z, IpcStatus.Ok, "z: its Send");

            QueueSenders(r, x, y, z);
            AssertStatus(IpcStatus.Ok, Scheduler.Kill(y, "test: a queued sender dies"), "killing y");
            CheckReceived(Do(r, OpReceive, Endpoint.Any, IpcStatus.Ok, "r: Receive after y died"), x, Data, 1, "x still first");
            CheckReceived(Do(r, OpReceive, Endpoint.Any, IpcStatus.Ok, "r: Receive after y died"), z, Data, 3, "then z: y's message was withdrawn");
            Do(r, OpTryReceive, Endpoint.Any, IpcStatus.NotReady, "r: nothing else queued");
            Result(x, IpcStatus.Ok, "x: its Send");
            Result(z, IpcStatus.Ok, "z: its Send");
        }

        private static void QueueSenders(int r, int x, int y, int z)
        {
            Command(x, OpSend, r, 1);
            AwaitBlocked(x, ProcessState.Sending, r, "x's Send to r");
            Command(y, OpSend, r, 2);
            AwaitBlocked(y, ProcessState.Sending, r, "y's Send to r");
            Command(z, OpSend, r, 3);
            AwaitBlocked(z, ProcessState.Sending, r, "z's Send to r");
        }
    }
}

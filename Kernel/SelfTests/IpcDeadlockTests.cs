using Kernel.Proc;
using Kernel.Testing;
using static Kernel.SelfTests.IpcPuppets;

namespace Kernel.SelfTests
{
    /// <summary>
    /// Deadlock refusal (Ipc.cs): a call that would close a cycle of processes each blocked on the next — through sends,
    /// receives or a SendRec's wait for its reply, or to the caller itself — returns Deadlock; a chain without a cycle waits.
    /// </summary>
    [SelfTestSuite("ipc")]
    public static unsafe class IpcDeadlockTests
    {
        [SelfTest]
        public static void DeadlockTwoCycleIsRefusedAndUnwinds()
        {
            int a = NewPuppet("a"), b = NewPuppet("b");

            Command(b, OpSend, a, 0xB);
            AwaitBlocked(b, ProcessState.Sending, a, "b's Send to a");
            Do(a, OpSend, b, IpcStatus.Deadlock, "a: Send to b, which is blocked sending to a");
            Do(a, OpSendRec, b, IpcStatus.Deadlock, "a: SendRec to b, which is blocked sending to a");
            Message got = Do(a, OpReceive, b, IpcStatus.Ok, "a: Receive from b takes b's waiting message");
            CheckReceived(got, b, Data, 0xB, "a's message from b");
            Result(b, IpcStatus.Ok, "b: its Send completes once a receives");

            Command(b, OpReceive, a, 0);
            AwaitBlocked(b, ProcessState.Receiving, a, "b's Receive from a");
            Do(a, OpReceive, b, IpcStatus.Deadlock, "a: Receive from b, which waits to receive from a");
            Do(a, OpSend, b, IpcStatus.Ok, "a: Send to b, which waits for it", 0xA);
            CheckReceived(Result(b, IpcStatus.Ok, "b: its Receive from a"), a, Data, 0xA, "b's message from a");
        }

        [SelfTest]
        public static void DeadlockThreeCycleIsRefused()
        {
            int a = NewPuppet("a"), b = NewPuppet("b"), c = NewPuppet("c");

            Command(c, OpSend, a, 0xC);
            AwaitBlocked(c, ProcessState.Sending, a, "c's Send to a");
            Command(b, OpSend, c, 0xB);
            AwaitBlocked(b, ProcessState.Sending, c, "b's Send to c (c is sending to a: a chain, no cycle yet)");
            Do(a, OpSend, b, IpcStatus.Deadlock, "a: Send to b closes a→b→c→a");
            Do(a, OpSendRec, b, IpcStatus.Deadlock, "a: SendRec to b closes a→b→c→a");
            CheckReceived(Do(a, OpReceive, c, IpcStatus.Ok, "a: Receive from c"), c, Data, 0xC, "a's message from c");
            Result(c, IpcStatus.Ok, "c: its Send to a completes");
            CheckReceived(Do(c, OpReceive, b, IpcStatus.Ok, "c: Receive from b"), b, Data, 0xB, "c's message from b");
            Result(b, IpcStatus.Ok, "b: its Send to c completes");

            // The same cycle closed by receives: b waits for c, c sends to a, a would wait for b.
            Command(c, OpSend, a, 0xC);
            AwaitBlocked(c, ProcessState.Sending, a, "c's second Send to a");
            Command(b, OpReceive, c, 0);
            AwaitBlocked(b, ProcessState.Receiving, c, "b's Receive from c");
            Do(a, OpReceive, b, IpcStatus.Deadlock, "a: Receive from b closes a←b←c←a");
            CheckReceived(Do(a, OpReceive, c, IpcStatus.Ok, "a: Receive from c"), c, Data, 0xC, "a's second message from c");
            Result(c, IpcStatus.Ok, "c: its second Send to a completes");
            Do(c, OpSend, b, IpcStatus.Ok, "c: Send to b, which waits for it", 0xCB);
            CheckReceived(Result(b, IpcStatus.Ok, "b: its Receive from c"), c, Data, 0xCB, "b's message from c");
        }

        [SelfTest]
        public static void DeadlockThroughSendRecReplyWait()
        {
            int a = NewPuppet("a"), b = NewPuppet("b");
            Command(a, OpSendRec, b, 0xA);
            AwaitBlocked(a, ProcessState.Sending, b, "a's SendRec to b (send half)");
            CheckReceived(Do(b, OpReceive, a, IpcStatus.Ok, "b: Receive from a takes a's request"), a, Data, 0xA, "b's request from a");
            AwaitBlocked(a, ProcessState.Receiving, b, "a waiting for b's reply");
            Do(b, OpReceive, a, IpcStatus.Deadlock, "b: Receive from a, which waits for b's reply");
            Do(b, OpSend, a, IpcStatus.Ok, "b: the reply", 0xAB);
            CheckReceived(Result(a, IpcStatus.Ok, "a: its SendRec"), b, Data, 0xAB, "a's reply from b");
        }

        [SelfTest]
        public static void DeadlockSendOrReceiveToSelf()
        {
            int a = NewPuppet("a");
            Do(a, OpSend, a, IpcStatus.Deadlock, "a: Send to itself");
            Do(a, OpSendRec, a, IpcStatus.Deadlock, "a: SendRec to itself");
            Do(a, OpSendNonBlocking, a, IpcStatus.Deadlock, "a: SendNonBlocking to itself");
            Do(a, OpReceive, a, IpcStatus.Deadlock, "a: Receive from itself");

            int self = ProcessKit.KernelTask;
            var m = Message.Of(Data, 1);
            AssertStatus(IpcStatus.Deadlock, Ipc.SendNonBlocking(self, &m), "kernel task: SendNonBlocking to itself");
            AssertStatus(IpcStatus.Deadlock, Ipc.Send(self, &m), "kernel task: Send to itself");   // only reached if the twin was refused
        }

        [SelfTest]
        public static void ChainWithoutCycleIsNotRefused()
        {
            int a = NewPuppet("a"), b = NewPuppet("b"), c = NewPuppet("c");

            // A receiver waiting for anyone takes the message at once.
            Command(b, OpReceive, Endpoint.Any, 0);
            AwaitBlocked(b, ProcessState.Receiving, Endpoint.Any, "b's Receive from Any");
            Do(a, OpSend, b, IpcStatus.Ok, "a: Send to b, which receives from Any", 0x1);
            CheckReceived(Result(b, IpcStatus.Ok, "b: its Receive from Any"), a, Data, 0x1, "b's message from a");

            // a→b→c→(kernel task, which waits on the clock server, which receives from Any): a chain, not a cycle.
            Command(b, OpSend, c, 0x2);
            AwaitBlocked(b, ProcessState.Sending, c, "b's Send to c");
            Command(a, OpSend, b, 0x3);
            AwaitBlocked(a, ProcessState.Sending, b, "a's Send to b at the head of a chain a→b→c");
            Command(c, OpReceive, Endpoint.Any, 0);
            CheckReceived(Result(c, IpcStatus.Ok, "c: Receive from Any"), b, Data, 0x2, "c's message from b");
            Result(b, IpcStatus.Ok, "b: its Send to c");
            CheckReceived(Do(b, OpReceive, a, IpcStatus.Ok, "b: Receive from a"), a, Data, 0x3, "b's message from a");
            Result(a, IpcStatus.Ok, "a: its Send to b");

            // A SendRec caller waiting for its reply is no cycle either: a→b, b waits for c's reply, c waits for the kernel task.
            Command(b, OpSendRec, c, 0x5);
            AwaitBlocked(b, ProcessState.Sending, c, "b's SendRec to c");
            CheckReceived(Do(c, OpReceive, b, IpcStatus.Ok, "c: Receive from b"), b, Data, 0x5, "c's request from b");
            AwaitBlocked(b, ProcessState.Receiving, c, "b waiting for c's reply");
            Command(a, OpSend, b, 0x6);
            AwaitBlocked(a, ProcessState.Sending, b, "a's Send to b, which waits for c's reply");
            Do(c, OpSend, b, IpcStatus.Ok, "c: the reply to b", 0x7);
            CheckReceived(Result(b, IpcStatus.Ok, "b: its SendRec"), c, Data, 0x7, "b's reply from c");
            CheckReceived(Do(b, OpReceive, a, IpcStatus.Ok, "b: Receive from a"), a, Data, 0x6, "b's message from a");
            Result(a, IpcStatus.Ok, "a: its Send to b");
        }
    }
}

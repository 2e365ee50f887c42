using Kernel.Arch;
using Kernel.Lib;
using Kernel.Proc;
using Kernel.Testing;
using Kernel.Servers;
using Kernel.Smp;

namespace Kernel.SelfTests
{
    /// <summary>
    /// IPC between real processes on real CPUs (Ipc.cs), after MINIX 3's semantics: error codes for bad endpoints and
    /// messages, deadlock refusal, rendezvous on every pair of CPUs, notifications, partners dying, message integrity
    /// under load, and the console server. Most tests drive "puppets": processes that wait for a command from the
    /// kernel task (one IPC call: op, partner, payload), make the call, and report what it returned and what it
    /// received. The kernel task scripts an interleaving step by step — it knows a puppet is blocked in its call when
    /// the process table says it is blocked on that partner — so every scenario is deterministic without timing.
    /// </summary>
    [SelfTestSuite("ipc")]
    public static unsafe class IpcTests
    {
        // Puppet commands (the command message's Type; P0 = partner endpoint, P1 = payload word)
        private const int OpSend = 1, OpSendRec = 2, OpSendNonBlocking = 3, OpReceive = 4, OpTryReceive = 5, OpNotify = 6;

        // Message types
        private const int Data = 7;          // what puppets send each other: P0 = payload, P1..P6 = Pattern(P0, k)
        private const int Untouched = 12345; // a receive buffer's type before the call
        private const int Done = 900;        // a puppet's report: P0 op, P1 status, P2 source, P3 type, P4 payload, P5 intact, P6 CPU
        private const int Ready = 40;
        private const int Results = 41;
        private const int SinkGot = 42;
        private const int Ping = 43, Pong = 44, PingResult = 45;
        private const int Sequence = 46, SenderDone = 47, ReceiverDone = 48;
        private const int PrintDone = 49;

        private const ulong PollMicros = 1_000;

        // ======================================================================================================
        // 1. Bad endpoints and messages
        // ======================================================================================================

        [SelfTest]
        public static void BadEndpointsAndMessagesFromKernelTask()
        {
            SetUpBadCases(withProber: false, out _, out int sink, out int newOwner, out int dead, out int stale);
            int neverUsed = NeverUsedEndpoint();
            var results = stackalloc ulong[4];
            for (int i = 0; i < 4; i++) results[i] = 0;
            for (int i = 0; i < BadCases; i++) Pack(results, i, RunBadCase(i, neverUsed, dead, stale, sink, inKernelTask: true));
            int run = CheckBadCases(results, "kernel task");
            AssertUntouched(sink, "the live sink");
            AssertUntouched(newOwner, "the stale endpoint's slot's new owner");
            SelfTestRunner.Note(string.Concat(run.ToString(), neverUsed == Endpoint.None ? " cases (no never-used slot left)" : " cases"));
            ProcessTestKit.KillStrays();
        }

        [SelfTest]
        public static void BadEndpointsAndMessagesFromProcess()
        {
            SetUpBadCases(withProber: true, out int prober, out int sink, out int newOwner, out int dead, out int stale);
            int neverUsed = NeverUsedEndpoint();
            var go = new Message { Type = Ready, P0 = Enc(neverUsed), P1 = Enc(dead), P2 = Enc(stale), P3 = Enc(sink) };
            SendWhenReady(prober, &go, "the prober");
            Message results = ProcessTestKit.Expect(prober, "the prober's results");
            Assert.Equal((long)Results, results.Type, "the prober's report type");
            int run = CheckBadCases(&results.P0, "process");
            AssertUntouched(sink, "the live sink");
            AssertUntouched(newOwner, "the stale endpoint's slot's new owner");
            SelfTestRunner.Note(string.Concat(run.ToString(), neverUsed == Endpoint.None ? " cases (no never-used slot left)" : " cases"));
            ProcessTestKit.KillStrays();
        }

        /// <summary>
        /// A slot reused by a new process: nothing addressed to the old endpoint reaches the new owner, and receiving
        /// from the old endpoint is DeadEndpoint even while the new owner has a notification pending for the receiver.
        /// </summary>
        [SelfTest]
        public static void StaleEndpointNeverMeansTheSlotsNewOwner()
        {
            ProcessTestKit.KillStrays();
            int r = NewPuppet("r");
            int stale = SpawnAndLetDie();
            int owner = SpawnIntoSlot(Endpoint.SlotOf(stale), "new-owner", &NotifyThenSink, (ulong)r);
            Assert.Equal((long)Endpoint.SlotOf(stale), Endpoint.SlotOf(owner), "the new process reused the dead one's slot");
            Assert.True(owner != stale, "with a new generation");
            Assert.True(ProcessTestKit.WaitForState(owner, ProcessState.Receiving), "the new owner notified r and the kernel task, then waits");

            var m = Message.Of(Data, 1);
            AssertStatus(IpcStatus.DeadEndpoint, Ipc.SendNonBlocking(stale, &m), "kernel: SendNonBlocking to the stale endpoint");
            AssertStatus(IpcStatus.DeadEndpoint, Ipc.Send(stale, &m), "kernel: Send to the stale endpoint");
            AssertStatus(IpcStatus.DeadEndpoint, Ipc.Notify(stale), "kernel: Notify to the stale endpoint");
            Do(r, OpSend, stale, IpcStatus.DeadEndpoint, "r: Send to the stale endpoint");
            Do(r, OpSendRec, stale, IpcStatus.DeadEndpoint, "r: SendRec to the stale endpoint");
            Do(r, OpNotify, stale, IpcStatus.DeadEndpoint, "r: Notify to the stale endpoint");
            Assert.True(IsBlockedOn(ProcessTable.At(Endpoint.SlotOf(owner)), ProcessState.Receiving, Endpoint.Any),
                "the slot's new owner still waits in Receive(Any): nothing sent to the stale endpoint reached it");

            Do(r, OpReceive, stale, IpcStatus.DeadEndpoint, "r: Receive from the stale endpoint while the slot's new owner has notified r");
            var received = new Message { Type = Untouched };
            IpcStatus status = Ipc.TryReceive(stale, &received);
            if (status != IpcStatus.DeadEndpoint)
                Assert.Fail(string.Concat("kernel: TryReceive from the stale endpoint gave ", ProcessTestKit.StatusName(status),
                    ", not dead endpoint (received type ", received.Type.ToString(), " from ", received.Source.ToString(), ")"));

            Message note = Do(r, OpTryReceive, owner, IpcStatus.Ok, "r: the new owner's notification is still there");
            CheckReceived(note, owner, Message.Notification, 0, "r's notification from the new owner");
            AssertStatus(IpcStatus.Ok, Ipc.TryReceive(owner, &received), "kernel: the new owner's notification is still there");
            Assert.Equal((long)Message.Notification, received.Type, "kernel: it is a notification");
            Assert.Equal((long)owner, received.Source, "kernel: from the new owner");
            AssertUntouched(owner, "the slot's new owner");
            ProcessTestKit.KillStrays();
        }

        private const int EndpointKinds = 8, EndpointOps = 6;
        private const int EndpointCases = EndpointKinds * EndpointOps;
        private const int BadCases = EndpointCases + 8;
        private const int NotRun = 15;
        private const int KindNeverUsed = 3, KindDead = 4, KindStale = 5, KindAny = 2;

        // The sink, a process that dies, the new owner of its slot (a second sink), the prober, then a second process
        // that dies and whose slot stays free.
        // Slots are claimed round robin, so a dead process's slot comes back only after a full turn: start the process
        // again and again, killing the ones that land elsewhere, until one lands in `slot`.
        private static int SpawnIntoSlot(int slot, string name, delegate*<ulong, void> entry, ulong argument)
        {
            for (int attempt = 0; attempt < Endpoint.Slots; attempt++)
            {
                int endpoint = ProcessTestKit.Spawn(name, entry, argument);
                if (Endpoint.SlotOf(endpoint) == slot) return endpoint;
                Scheduler.Kill(endpoint, "landed in another slot");
                Assert.True(Scheduler.WaitUntilOffCpu(endpoint, ProcessTestKit.ReportTimeoutMicros), "a misplaced process left its CPU");
            }
            Assert.Fail("no process landed in the dead one's slot within a full turn of the table");
            return Endpoint.None;
        }

        private static void SetUpBadCases(bool withProber, out int prober, out int sink, out int newOwner, out int dead, out int stale)
        {
            ProcessTestKit.KillStrays();
            sink = ProcessTestKit.Spawn("sink", &Sink, 0);
            stale = SpawnAndLetDie();
            newOwner = SpawnIntoSlot(Endpoint.SlotOf(stale), "new-owner", &Sink, 0);
            Assert.Equal((long)Endpoint.SlotOf(stale), Endpoint.SlotOf(newOwner), "the new owner reused the dead process's slot");
            Assert.True(newOwner != stale, "with a new generation");
            prober = withProber ? ProcessTestKit.Spawn("prober", &Prober, 0) : Endpoint.None;
            dead = SpawnAndLetDie();
            Assert.True(ProcessTestKit.WaitForState(sink, ProcessState.Receiving), "the sink waits for messages");
            Assert.True(ProcessTestKit.WaitForState(newOwner, ProcessState.Receiving), "the new owner waits for messages");
        }

        private static int SpawnAndLetDie()
        {
            int doomed = ProcessTestKit.Spawn("doomed", &Returns, 0);
            Assert.True(ProcessTestKit.WaitForState(doomed, ProcessState.Dead), "a process that returns dies");
            Assert.True(Scheduler.WaitUntilOffCpu(doomed, ProcessTestKit.ReportTimeoutMicros), "the dead process left its CPU");
            return doomed;
        }

        // An endpoint whose slot was never used (generation 0, free); None if every slot has been used since boot.
        private static int NeverUsedEndpoint()
        {
            for (int slot = Endpoint.Slots - 1; slot > ProcessTable.KernelTaskSlot; slot--)
            {
                Process process = ProcessTable.At(slot);
                if (process.Generation == 0 && process.Flags == ProcessFlags.SlotFree) return Endpoint.Make(slot, 1);
            }
            return Endpoint.None;
        }

        private static int BadEndpoint(int kind, int neverUsed, int dead, int stale) => kind switch
        {
            0 => -5,
            1 => Endpoint.None,
            KindAny => Endpoint.Any,
            KindNeverUsed => neverUsed,
            KindDead => dead,
            KindStale => stale,
            6 => int.MaxValue,
            _ => int.MinValue,
        };

        private static string KindName(int kind) => kind switch
        {
            0 => "-5",
            1 => "None",
            KindAny => "Any",
            KindNeverUsed => "a never-used slot",
            KindDead => "a dead process",
            KindStale => "a stale generation",
            6 => "int.MaxValue",
            _ => "int.MinValue",
        };

        private static string OpName(int op) => op switch
        {
            0 => "Send",
            1 => "SendNonBlocking",
            2 => "SendRec",
            3 => "Receive",
            4 => "TryReceive",
            _ => "Notify",
        };

        private static string BadCaseName(int index)
        {
            if (index < EndpointCases) return string.Concat(OpName(index % EndpointOps), "(", KindName(index / EndpointOps), ")");
            return (index - EndpointCases) switch
            {
                0 => "Send(sink, null)",
                1 => "SendNonBlocking(sink, null)",
                2 => "SendRec(sink, null)",
                3 => "Receive(Any, null)",
                4 => "TryReceive(Any, null)",
                5 => "Send(sink, type Notification)",
                6 => "SendNonBlocking(sink, type -2)",
                _ => "SendRec(sink, type int.MinValue)",
            };
        }

        private static IpcStatus ExpectedBadCase(int index)
        {
            if (index >= EndpointCases) return IpcStatus.BadMessage;
            int kind = index / EndpointOps;
            return kind == KindDead || kind == KindStale ? IpcStatus.DeadEndpoint : IpcStatus.BadEndpoint;
        }

        /// <summary>
        /// One bad call, shared by the kernel task and the prober process. The kernel task must never block, so before
        /// a blocking call it makes the non-blocking twin: if that would not fail (Ok or NotReady), the blocking call
        /// could wait forever, and the twin's result is recorded instead.
        /// </summary>
        private static int RunBadCase(int index, int neverUsed, int dead, int stale, int sink, bool inKernelTask)
        {
            var m = new Message();
            Fill(&m, Data, (ulong)index);
            if (index < EndpointCases)
            {
                int kind = index / EndpointOps, op = index % EndpointOps;
                if (kind == KindNeverUsed && neverUsed == Endpoint.None) return NotRun;
                if (kind == KindAny && (op == 3 || op == 4)) return NotRun;   // receiving from Any is no error
                int to = BadEndpoint(kind, neverUsed, dead, stale);
                IpcStatus twin;
                switch (op)
                {
                    case 0:
                        if (inKernelTask && Harmless(twin = Ipc.SendNonBlocking(to, &m))) return (int)twin;
                        return (int)Ipc.Send(to, &m);
                    case 1: return (int)Ipc.SendNonBlocking(to, &m);
                    case 2:
                        if (inKernelTask && Harmless(twin = Ipc.SendNonBlocking(to, &m))) return (int)twin;
                        return (int)Ipc.SendRec(to, &m);
                    case 3:
                        if (inKernelTask && Harmless(twin = Ipc.TryReceive(to, &m))) return (int)twin;
                        return (int)Ipc.Receive(to, &m);
                    case 4: return (int)Ipc.TryReceive(to, &m);
                    default: return (int)Ipc.Notify(to);
                }
            }
            IpcStatus guard;
            switch (index - EndpointCases)
            {
                case 0:
                    if (inKernelTask && Harmless(guard = Ipc.SendNonBlocking(sink, null))) return (int)guard;
                    return (int)Ipc.Send(sink, null);
                case 1: return (int)Ipc.SendNonBlocking(sink, null);
                case 2:
                    if (inKernelTask && Harmless(guard = Ipc.SendNonBlocking(sink, null))) return (int)guard;
                    return (int)Ipc.SendRec(sink, null);
                case 3:
                    if (inKernelTask && Harmless(guard = Ipc.TryReceive(Endpoint.Any, null))) return (int)guard;
                    return (int)Ipc.Receive(Endpoint.Any, null);
                case 4: return (int)Ipc.TryReceive(Endpoint.Any, null);
                case 5:
                    m.Type = Message.Notification;
                    if (inKernelTask && Harmless(guard = Ipc.SendNonBlocking(sink, &m))) return (int)guard;
                    return (int)Ipc.Send(sink, &m);
                case 6:
                    m.Type = -2;
                    return (int)Ipc.SendNonBlocking(sink, &m);
                default:
                    m.Type = int.MinValue;
                    if (inKernelTask && Harmless(guard = Ipc.SendNonBlocking(sink, &m))) return (int)guard;
                    return (int)Ipc.SendRec(sink, &m);
            }
        }

        // A non-blocking call that did not fail: its blocking twin might wait.
        private static bool Harmless(IpcStatus status) => status == IpcStatus.Ok || status == IpcStatus.NotReady;

        private static void Pack(ulong* words, int index, int status) => words[index / 16] |= (ulong)(status & 15) << (4 * (index % 16));

        private static int CheckBadCases(ulong* results, string who)
        {
            var text = new TextBuffer();
            int wrong = 0, run = 0;
            for (int i = 0; i < BadCases; i++)
            {
                int got = (int)((results[i / 16] >> (4 * (i % 16))) & 15);
                if (got == NotRun) continue;
                run++;
                IpcStatus expected = ExpectedBadCase(i);
                if (got == (int)expected) continue;
                text.Append(wrong++ == 0 ? who : ";");
                text.Append(' ');
                text.Append(BadCaseName(i));
                text.Append(" gave ");
                text.Append(ProcessTestKit.StatusName((IpcStatus)got));
                text.Append(", not ");
                text.Append(ProcessTestKit.StatusName(expected));
            }
            if (wrong > 0) Assert.Fail(text.ToString());
            return run;
        }

        // A sink (waiting in Receive(Any), reporting whatever reaches it) that was given nothing.
        private static void AssertUntouched(int sink, string what)
        {
            var m = new Message();
            IpcStatus status = Ipc.TryReceive(sink, &m);
            if (status == IpcStatus.Ok)
                Assert.Fail(string.Concat(what, " was sent something: type ", Dec(m.P2).ToString(), " from ", Dec(m.P1).ToString()));
            AssertStatus(IpcStatus.NotReady, status, string.Concat(what, ": no report"));
            Process process = ProcessTable.At(Endpoint.SlotOf(sink));
            Assert.True(process.State == ProcessState.Receiving && process.ReceiveFrom == Endpoint.Any,
                string.Concat(what, " still waits in Receive(Any), never woken"));
        }

        private static void Returns(ulong unused) { }

        private static void Sink(ulong unused)
        {
            var m = new Message();
            while (true)
            {
                IpcStatus status = Ipc.Receive(Endpoint.Any, &m);
                var report = new Message { Type = SinkGot, P0 = (ulong)status, P1 = Enc(m.Source), P2 = Enc(m.Type) };
                if (Ipc.Send(ProcessTestKit.KernelTask, &report) != IpcStatus.Ok) return;
            }
        }

        private static void NotifyThenSink(ulong target)
        {
            Ipc.Notify(ProcessTestKit.KernelTask);
            Ipc.Notify((int)target);
            Sink(0);
        }

        private static void Prober(ulong unused)
        {
            var go = new Message();
            if (Ipc.Receive(ProcessTestKit.KernelTask, &go) != IpcStatus.Ok) return;
            var results = new Message { Type = Results };
            for (int i = 0; i < BadCases; i++)
                Pack(&results.P0, i, RunBadCase(i, Dec(go.P0), Dec(go.P1), Dec(go.P2), Dec(go.P3), inKernelTask: false));
            Ipc.Send(ProcessTestKit.KernelTask, &results);
        }

        // ======================================================================================================
        // 2. Deadlock detection
        // ======================================================================================================

        [SelfTest]
        public static void DeadlockTwoCycleIsRefusedAndUnwinds()
        {
            ProcessTestKit.KillStrays();
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
            ProcessTestKit.KillStrays();
        }

        [SelfTest]
        public static void DeadlockThreeCycleIsRefused()
        {
            ProcessTestKit.KillStrays();
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
            ProcessTestKit.KillStrays();
        }

        [SelfTest]
        public static void DeadlockThroughSendRecReplyWait()
        {
            ProcessTestKit.KillStrays();
            int a = NewPuppet("a"), b = NewPuppet("b");
            Command(a, OpSendRec, b, 0xA);
            AwaitBlocked(a, ProcessState.Sending, b, "a's SendRec to b (send half)");
            CheckReceived(Do(b, OpReceive, a, IpcStatus.Ok, "b: Receive from a takes a's request"), a, Data, 0xA, "b's request from a");
            AwaitBlocked(a, ProcessState.Receiving, b, "a waiting for b's reply");
            Do(b, OpReceive, a, IpcStatus.Deadlock, "b: Receive from a, which waits for b's reply");
            Do(b, OpSend, a, IpcStatus.Ok, "b: the reply", 0xAB);
            CheckReceived(Result(a, IpcStatus.Ok, "a: its SendRec"), b, Data, 0xAB, "a's reply from b");
            ProcessTestKit.KillStrays();
        }

        [SelfTest]
        public static void DeadlockSendOrReceiveToSelf()
        {
            ProcessTestKit.KillStrays();
            int a = NewPuppet("a");
            Do(a, OpSend, a, IpcStatus.Deadlock, "a: Send to itself");
            Do(a, OpSendRec, a, IpcStatus.Deadlock, "a: SendRec to itself");
            Do(a, OpSendNonBlocking, a, IpcStatus.Deadlock, "a: SendNonBlocking to itself");
            Do(a, OpReceive, a, IpcStatus.Deadlock, "a: Receive from itself");

            int self = ProcessTestKit.KernelTask;
            var m = Message.Of(Data, 1);
            AssertStatus(IpcStatus.Deadlock, Ipc.SendNonBlocking(self, &m), "kernel task: SendNonBlocking to itself");
            AssertStatus(IpcStatus.Deadlock, Ipc.Send(self, &m), "kernel task: Send to itself");   // only reached if the twin was refused
            ProcessTestKit.KillStrays();
        }

        [SelfTest]
        public static void ChainWithoutCycleIsNotRefused()
        {
            ProcessTestKit.KillStrays();
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
            ProcessTestKit.KillStrays();
        }

        // ======================================================================================================
        // Sender queues
        // ======================================================================================================

        [SelfTest]
        public static void SendersQueueInOrderAndLeaveIt()
        {
            ProcessTestKit.KillStrays();
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
            ProcessTestKit.KillStrays();
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

        // ======================================================================================================
        // 3. Ping-pong between every pair of CPUs
        // ======================================================================================================

        private const int PingRounds = 20;
        private const int MaxPingCpus = 8;   // server endpoints: two per payload word, four words

        [SelfTest]
        public static void PingPongEveryCpuPair()
        {
            ProcessTestKit.KillStrays();
            int* cpus = stackalloc int[MaxPingCpus];
            int count = 0;
            for (int cpu = 0; cpu < Cpus.Count && count < MaxPingCpus; cpu++)
                if (Cpus.Get(cpu)->CpuState == CpuState.Online) cpus[count++] = cpu;

            int* servers = stackalloc int[MaxPingCpus];
            int* clients = stackalloc int[MaxPingCpus];
            var go = new Message { Type = Ready, P4 = (ulong)count };
            ulong* words = &go.P0;
            for (int j = 0; j < count; j++)
            {
                servers[j] = ProcessTestKit.Spawn("echo", &EchoServer, 0, Scheduler.UserPriority, CpuSet.Of(cpus[j]));
                words[j / 2] |= (ulong)(uint)servers[j] << (32 * (j % 2));
            }
            for (int i = 0; i < count; i++) clients[i] = ProcessTestKit.Spawn("ping", &PingClient, 0, Scheduler.UserPriority, CpuSet.Of(cpus[i]));

            // One client at a time: under TCG each busy vCPU is a host thread, and more of them than host cores
            // turns every wake-up into a wait for the host scheduler.
            for (int i = 0; i < count; i++)
            {
                Message copy = go;
                SendWhenReady(clients[i], &copy, "a ping client");
                Message result = ExpectPatiently(clients[i], "a ping client's results");
                Assert.Equal((long)PingResult, result.Type, "the client's report type");
                if (result.P3 != 0)
                {
                    int j = (int)(result.P3 >> 48) - 1;
                    Assert.Fail(string.Concat("client on CPU ", cpus[i].ToString(), " → server on CPU ", cpus[j].ToString(), ": round ",
                        ((result.P3 >> 32) & 0xFFFF).ToString(), " failed: ", ProcessTestKit.StatusName((IpcStatus)((result.P3 >> 16) & 0xFFFF)),
                        ", check bits ", (result.P3 & 0xFFFF).ToString(), " (1 source, 2 type, 4 payload+1, 8 payload words)"));
                }
                if ((int)result.P2 != cpus[i])
                    Assert.Fail(string.Concat("the client pinned to CPU ", cpus[i].ToString(), " ran on CPU ", ((int)result.P2).ToString(), " (255: several)"));
                for (int j = 0; j < count; j++)
                {
                    Assert.True((result.P0 & (1UL << j)) != 0, string.Concat("all round trips CPU ", cpus[i].ToString(), " → CPU ", cpus[j].ToString(), " succeeded"));
                    int seen = (int)((result.P1 >> (8 * j)) & 0xFF);
                    if (seen != cpus[j])
                        Assert.Fail(string.Concat("the server pinned to CPU ", cpus[j].ToString(), " answered from CPU ", seen.ToString(),
                            " (254: several) to the client on CPU ", cpus[i].ToString()));
                }
            }
            SelfTestRunner.Note(string.Concat((count * count).ToString(), " CPU pairs x ", PingRounds.ToString(), " round trips"));
            ProcessTestKit.KillStrays();
        }

        private static void EchoServer(ulong unused)
        {
            var m = new Message();
            while (true)
            {
                if (Ipc.Receive(Endpoint.Any, &m) != IpcStatus.Ok || m.Type != Ping) continue;
                int client = m.Source;
                m.Type = Pong;
                m.P0++;
                m.P1 = (ulong)ProcessTestKit.CurrentCpu();
                Ipc.Send(client, &m);
            }
        }

        private static void PingClient(ulong unused)
        {
            var go = new Message();
            if (Ipc.Receive(ProcessTestKit.KernelTask, &go) != IpcStatus.Ok) return;
            int servers = (int)go.P4;
            ulong* words = &go.P0;
            ulong allGood = 0, serverCpus = 0, firstFailure = 0;
            int myCpu = -1;
            for (int j = 0; j < servers; j++)
            {
                int server = (int)(uint)(words[j / 2] >> (32 * (j % 2)));
                int serverCpu = 0xFF;
                bool good = true;
                for (int round = 0; round < PingRounds; round++)
                {
                    ulong seed = ((ulong)j << 40) | ((ulong)round << 8) | 5;
                    var m = new Message();
                    Fill(&m, Ping, seed);
                    IpcStatus status = Ipc.SendRec(server, &m);
                    int cpu = ProcessTestKit.CurrentCpu();
                    if (myCpu < 0) myCpu = cpu;
                    else if (cpu != myCpu) myCpu = 0xFF;
                    ulong bad = 0;
                    if (m.Source != server) bad |= 1;
                    if (m.Type != Pong) bad |= 2;
                    if (m.P0 != seed + 1) bad |= 4;
                    if (!Intact(&m, 2, seed)) bad |= 8;
                    if (status == IpcStatus.Ok && bad == 0)
                    {
                        int at = (int)m.P1;
                        serverCpu = serverCpu == 0xFF ? at : serverCpu == at ? at : 0xFE;
                    }
                    else
                    {
                        good = false;
                        if (firstFailure == 0) firstFailure = ((ulong)(j + 1) << 48) | ((ulong)round << 32) | ((ulong)status << 16) | bad;
                    }
                }
                if (good) allGood |= 1UL << j;
                serverCpus |= (ulong)(byte)serverCpu << (8 * j);
            }
            var report = new Message { Type = PingResult, P0 = allGood, P1 = serverCpus, P2 = (ulong)myCpu, P3 = firstFailure };
            Ipc.Send(ProcessTestKit.KernelTask, &report);
        }

        // ======================================================================================================
        // 4. Notify
        // ======================================================================================================

        [SelfTest]
        public static void NotifyCoalescesPerSender()
        {
            ProcessTestKit.KillStrays();
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
            ProcessTestKit.KillStrays();
        }

        [SelfTest]
        public static void NotifyWakesReceiveFromAny()
        {
            ProcessTestKit.KillStrays();
            int r = NewPuppet("r"), n = NewPuppet("n");
            Command(r, OpReceive, Endpoint.Any, 0);
            AwaitBlocked(r, ProcessState.Receiving, Endpoint.Any, "r's Receive from Any");
            Do(n, OpNotify, r, IpcStatus.Ok, "n: Notify to r");
            CheckReceived(Result(r, IpcStatus.Ok, "r: woken by the notification"), n, Message.Notification, 0, "r's notification");
            Do(r, OpTryReceive, Endpoint.Any, IpcStatus.NotReady, "r: the notification was delivered, not also left pending");
            ProcessTestKit.KillStrays();
        }

        [SelfTest]
        public static void NotifyWaitsForAMatchingReceive()
        {
            ProcessTestKit.KillStrays();
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
            ProcessTestKit.KillStrays();
        }

        [SelfTest]
        public static void SendRecReplyWaitIgnoresNotificationsAndOthers()
        {
            ProcessTestKit.KillStrays();
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
            ProcessTestKit.KillStrays();
        }

        // ======================================================================================================
        // 5. Partner death
        // ======================================================================================================

        [SelfTest]
        public static void PartnerDeathWakesEveryoneBlockedOnIt()
        {
            ProcessTestKit.KillStrays();
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
            ProcessTestKit.KillStrays();
        }

        [SelfTest]
        public static void DeadProcessesMessagesAndNotificationsAreWithdrawn()
        {
            ProcessTestKit.KillStrays();
            int b = NewPuppet("b"), y = NewPuppet("y"), z = NewPuppet("z");
            Do(b, OpNotify, y, IpcStatus.Ok, "b: Notify to y");
            Command(b, OpSend, y, 0xB);
            AwaitBlocked(b, ProcessState.Sending, y, "b's Send to y");
            AssertStatus(IpcStatus.Ok, Scheduler.Kill(b, "test: a sender dies"), "killing b");
            Assert.True(Scheduler.WaitUntilOffCpu(b, ProcessTestKit.ReportTimeoutMicros), "b left its CPU");
            Do(y, OpTryReceive, Endpoint.Any, IpcStatus.NotReady, "y: neither b's message nor its notification is left");
            Do(y, OpTryReceive, b, IpcStatus.DeadEndpoint, "y: TryReceive from the dead b");
            Command(z, OpSend, y, 0x2);
            AwaitBlocked(z, ProcessState.Sending, y, "z's Send to y");
            CheckReceived(Do(y, OpReceive, Endpoint.Any, IpcStatus.Ok, "y: Receive from Any"), z, Data, 0x2, "y's queue holds z's message only");
            Result(z, IpcStatus.Ok, "z: its Send");
            ProcessTestKit.KillStrays();
        }

        /// <summary>
        /// A process killed while it runs on another CPU must not complete an IPC call it enters afterwards: once Kill
        /// has returned and the process has left its CPU, nothing it sent may be found anywhere. The process notifies
        /// in a loop, so it is usually inside or waiting for the big kernel lock when the kernel task kills it.
        /// </summary>
        [SelfTest]
        public static void KilledProcessSendsNothingAfterKill()
        {
            ProcessTestKit.KillStrays();
            int other = -1;
            for (int cpu = 1; cpu < Cpus.Count && other < 0; cpu++)
                if (Cpus.Get(cpu)->CpuState == CpuState.Online) other = cpu;
            if (other < 0) Assert.Skip("needs a second CPU: the process must run while the kernel task kills it");

            const int rounds = 20;
            int q = NewPuppet("q");
            int ghosts = 0;
            for (int round = 0; round < rounds; round++)
            {
                int notifier = ProcessTestKit.Spawn("notifier", &NotifyForever, (ulong)q, Scheduler.UserPriority, CpuSet.Of(other));
                Message ready = ProcessTestKit.Expect(notifier, "the notifier started");
                Assert.Equal((long)Ready, ready.Type, "the notifier's report");
                ClockServer.SleepFor(500 + 300 * (ulong)(round % 5));   // let it notify a while; only changes where the kill lands
                AssertStatus(IpcStatus.Ok, Scheduler.Kill(notifier, "test: killed while notifying"), "killing the notifier");
                Assert.True(Scheduler.WaitUntilOffCpu(notifier, ProcessTestKit.ReportTimeoutMicros), "the notifier left its CPU");
                Command(q, OpTryReceive, Endpoint.Any, 0);
                Message after = ProcessTestKit.Expect(q, "q's TryReceive after the kill");
                var status = (IpcStatus)(int)after.P1;
                if (status == IpcStatus.NotReady) continue;
                if (status == IpcStatus.Ok && Dec(after.P3) == Message.Notification && Dec(after.P2) == notifier) { ghosts++; continue; }
                Assert.Fail(string.Concat("q's TryReceive gave ", ProcessTestKit.StatusName(status), " type ", Dec(after.P3).ToString(),
                    " from ", Dec(after.P2).ToString()));
            }
            if (ghosts > 0)
                Assert.Fail(string.Concat("in ", ghosts.ToString(), " of ", rounds.ToString(),
                    " rounds a notification from the killed process was pending after Kill returned and the process left its CPU"));
            SelfTestRunner.Note(string.Concat(rounds.ToString(), " kills"));
            ProcessTestKit.KillStrays();
        }

        private static void NotifyForever(ulong target)
        {
            ProcessTestKit.Report(Ready);
            while (true) Ipc.Notify((int)target);
        }

        // ======================================================================================================
        // 6. Message integrity under load
        // ======================================================================================================

        private const int SequenceLength = 200;

        [SelfTest]
        public static void MessageIntegrityAcrossCpus()
        {
            ProcessTestKit.KillStrays();
            int first = -1, last = -1;
            for (int cpu = 0; cpu < Cpus.Count; cpu++)
            {
                if (Cpus.Get(cpu)->CpuState != CpuState.Online) continue;
                if (first < 0) first = cpu;
                last = cpu;
            }
            // Load: a busy process of the lowest priority under each end, so every wake-up preempts something.
            ProcessTestKit.Spawn("spinner", &ProcessTestKit.Spin, 0, Scheduler.LowestPriority, CpuSet.Of(first));
            if (last != first) ProcessTestKit.Spawn("spinner", &ProcessTestKit.Spin, 0, Scheduler.LowestPriority, CpuSet.Of(last));

            int r1 = ProcessTestKit.Spawn("seq-rx", &SequenceReceiver, SequenceLength, Scheduler.UserPriority, CpuSet.Of(last));
            int r2 = ProcessTestKit.Spawn("seq-rx", &SequenceReceiver, SequenceLength, Scheduler.UserPriority, CpuSet.Of(first));
            int s1 = ProcessTestKit.Spawn("seq-tx", &SequenceSender, (ulong)(uint)r1 | ((ulong)SequenceLength << 32), Scheduler.UserPriority, CpuSet.Of(first));
            int s2 = ProcessTestKit.Spawn("seq-tx", &SequenceSender, (ulong)(uint)r2 | ((ulong)SequenceLength << 32), Scheduler.UserPriority, CpuSet.Of(last));
            var go = new Message { Type = Ready, P0 = Enc(s1) };
            SendWhenReady(r1, &go, "the first receiver");
            go = new Message { Type = Ready, P0 = Enc(s2) };
            SendWhenReady(r2, &go, "the second receiver");

            CheckSequence(s1, r1, first, last);
            CheckSequence(s2, r2, last, first);
            SelfTestRunner.Note(string.Concat("2 x ", SequenceLength.ToString(), " messages, CPU ", first.ToString(), " <-> CPU ", last.ToString()));
            ProcessTestKit.KillStrays();
        }

        private static void CheckSequence(int sender, int receiver, int from, int to)
        {
            string direction = string.Concat("CPU ", from.ToString(), " → CPU ", to.ToString());
            Message sent = ExpectPatiently(sender, "the sender's report");
            Assert.Equal((long)SenderDone, sent.Type, "the sender's report type");
            if (sent.P0 != SequenceLength)
                Assert.Fail(string.Concat(direction, ": the sender stopped after ", sent.P0.ToString(), " messages: ", ProcessTestKit.StatusName((IpcStatus)(int)sent.P1)));
            Message got = ExpectPatiently(receiver, "the receiver's report");
            Assert.Equal((long)ReceiverDone, got.Type, "the receiver's report type");
            if (got.P1 != 0)
                Assert.Fail(string.Concat(direction, ": ", got.P1.ToString(), " bad messages, the first #", got.P2.ToString(), " (bits ",
                    got.P3.ToString(), ": 1 status, 2 source, 4 type, 8<<k word k)"));
            Assert.Equal((ulong)SequenceLength, got.P0, string.Concat(direction, ": good messages received"));
            Assert.Equal((ulong)(uint)to, got.P4, string.Concat(direction, ": the receiver ran on its CPU"));
        }

        private static ulong SequenceWord(int index, int word) => ((ulong)(uint)index << 32) | ((ulong)(uint)word << 24) | ((uint)(index * 7919 + word * 131) & 0xFFFFFF);

        private static void SequenceSender(ulong argument)
        {
            int receiver = (int)(uint)argument, count = (int)(argument >> 32);
            int sent = 0;
            IpcStatus status = IpcStatus.Ok;
            for (int i = 0; i < count; i++)
            {
                var m = new Message { Source = 0x7777, Type = Sequence };   // the kernel must overwrite a forged source
                ulong* words = &m.P0;
                for (int k = 0; k < 7; k++) words[k] = SequenceWord(i, k);
                status = Ipc.Send(receiver, &m);
                if (status != IpcStatus.Ok) break;
                sent++;
            }
            var report = new Message { Type = SenderDone, P0 = (ulong)sent, P1 = (ulong)status };
            Ipc.Send(ProcessTestKit.KernelTask, &report);
        }

        private static void SequenceReceiver(ulong count)
        {
            var go = new Message();
            if (Ipc.Receive(ProcessTestKit.KernelTask, &go) != IpcStatus.Ok) return;
            int sender = Dec(go.P0);
            ulong good = 0, bad = 0, firstBad = 0, firstBits = 0;
            for (int i = 0; i < (int)count; i++)
            {
                var m = new Message { Type = Untouched };
                IpcStatus status = Ipc.Receive(Endpoint.Any, &m);
                ulong bits = 0;
                if (status != IpcStatus.Ok) bits |= 1;
                if (m.Source != sender) bits |= 2;
                if (m.Type != Sequence) bits |= 4;
                ulong* words = &m.P0;
                for (int k = 0; k < 7; k++) if (words[k] != SequenceWord(i, k)) bits |= 8UL << k;
                if (bits == 0) good++;
                else if (bad++ == 0) { firstBad = (ulong)i; firstBits = bits; }
            }
            var report = new Message { Type = ReceiverDone, P0 = good, P1 = bad, P2 = firstBad, P3 = firstBits, P4 = (ulong)ProcessTestKit.CurrentCpu() };
            Ipc.Send(ProcessTestKit.KernelTask, &report);
        }

        // ======================================================================================================
        // 7. Console server
        // ======================================================================================================

        private const string LongLine = "ipc self-test: a line of well over forty-eight bytes, so the console server must put it together from several pieces";
        private const string WrappedLine = "ipc self-test: a line longer than the console server's line buffer, 0123456789 0123456789 0123456789 0123456789 "
            + "0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 end";
        private const string Exactly48 = "ipc self-test: exactly forty-eight bytes long...";
        private const string Exactly49 = "ipc self-test: exactly forty-nine bytes long.....";

        [SelfTest]
        public static void ConsoleServerPrintsLongLines()
        {
            ProcessTestKit.KillStrays();
            Assert.Equal(48L, Exactly48.Length, "the 48-byte line's length");
            Assert.Equal(49L, Exactly49.Length, "the 49-byte line's length");
            int printer = ProcessTestKit.Spawn("printer", &Printer, 0);
            Message done = ProcessTestKit.Expect(printer, "the printer's report");
            Assert.Equal((long)PrintDone, done.Type, "the printer's report type");
            AssertStatus(IpcStatus.Ok, (IpcStatus)(int)done.P0, "Print of a line longer than one piece");
            AssertStatus(IpcStatus.Ok, (IpcStatus)(int)done.P1, "Print of a line longer than the server's line buffer");
            AssertStatus(IpcStatus.Ok, (IpcStatus)(int)done.P2, "Print of exactly one piece (48 bytes)");
            AssertStatus(IpcStatus.Ok, (IpcStatus)(int)done.P3, "Print of one piece and a byte (49 bytes)");
            AssertStatus(IpcStatus.Ok, (IpcStatus)(int)done.P4, "Print of an empty line");
            SelfTestRunner.Note(string.Concat("5 lines, the longest ", WrappedLine.Length.ToString(), " bytes"));
            ProcessTestKit.KillStrays();
        }

        private static void Printer(ulong unused)
        {
            var report = new Message { Type = PrintDone };
            report.P0 = (ulong)ConsoleServer.Print(LongLine);
            report.P1 = (ulong)ConsoleServer.Print(WrappedLine);
            report.P2 = (ulong)ConsoleServer.Print(Exactly48);
            report.P3 = (ulong)ConsoleServer.Print(Exactly49);
            report.P4 = (ulong)ConsoleServer.Print("");
            Ipc.Send(ProcessTestKit.KernelTask, &report);
        }

        // ======================================================================================================
        // Puppets
        // ======================================================================================================

        private static int NewPuppet(string name) => ProcessTestKit.Spawn(name, &Puppet, 0);

        /// <summary>
        /// Waits for a command from the kernel task, makes that one IPC call, reports it (Done), and waits again.
        /// Data it sends carries a pattern in P1..P6 derived from P0; data it receives is checked against it.
        /// </summary>
        private static void Puppet(ulong unused)
        {
            int kernel = ProcessTestKit.KernelTask;
            var command = new Message();
            while (Ipc.Receive(kernel, &command) == IpcStatus.Ok)
            {
                if (command.Type == Message.Notification) continue;
                int partner = Dec(command.P0);
                var m = new Message { Type = Untouched };
                if (command.Type == OpSend || command.Type == OpSendRec || command.Type == OpSendNonBlocking) Fill(&m, Data, command.P1);
                IpcStatus status = command.Type switch
                {
                    OpSend => Ipc.Send(partner, &m),
                    OpSendRec => Ipc.SendRec(partner, &m),
                    OpSendNonBlocking => Ipc.SendNonBlocking(partner, &m),
                    OpReceive => Ipc.Receive(partner, &m),
                    OpTryReceive => Ipc.TryReceive(partner, &m),
                    OpNotify => Ipc.Notify(partner),
                    _ => IpcStatus.Timeout,
                };
                bool intact = m.Type != Data || Intact(&m, 1, m.P0);
                var report = new Message
                {
                    Type = Done, P0 = (ulong)command.Type, P1 = (ulong)status, P2 = Enc(m.Source), P3 = Enc(m.Type),
                    P4 = m.P0, P5 = intact ? 1UL : 0UL, P6 = (ulong)ProcessTestKit.CurrentCpu(),
                };
                if (Ipc.Send(kernel, &report) != IpcStatus.Ok) return;
            }
        }

        private const ulong LongRunMicros = 120_000_000;
        private const ulong PatientPollMicros = 5_000;

        /// <summary>
        /// Expect for reports that take long (many messages): a longer bound, and fewer looks — each look wakes the
        /// clock server and takes the big kernel lock, which slows down the very processes it waits for.
        /// </summary>
        private static Message ExpectPatiently(int from, string what)
        {
            var message = new Message();
            ulong deadline = Tsc.DeadlineAfter(LongRunMicros);
            while (true)
            {
                IpcStatus status = Ipc.TryReceive(from, &message);
                if (status == IpcStatus.Ok) return message;
                if (status != IpcStatus.NotReady) Assert.Fail(string.Concat(what, ": no message (", ProcessTestKit.StatusName(status), ")"));
                if (Tsc.Read() > deadline) Assert.Fail(string.Concat(what, ": no message (timeout)"));
                ClockServer.SleepFor(PatientPollMicros);
            }
        }

        /// <summary>Delivers a message to a process waiting for one from the kernel task, or fails the test (bounded wait).</summary>
        private static void SendWhenReady(int to, Message* message, string what)
        {
            ulong deadline = Tsc.DeadlineAfter(ProcessTestKit.ReportTimeoutMicros);
            while (true)
            {
                IpcStatus status = Ipc.SendNonBlocking(to, message);
                if (status == IpcStatus.Ok) return;
                if (status != IpcStatus.NotReady) Assert.Fail(string.Concat(what, ": could not be given its command: ", ProcessTestKit.StatusName(status)));
                if (Tsc.Read() > deadline) Assert.Fail(string.Concat(what, ": never waited for a command"));
                ClockServer.SleepFor(PollMicros);
            }
        }

        private static void Command(int puppet, int op, int partner, ulong payload)
        {
            var command = new Message { Type = op, P0 = Enc(partner), P1 = payload };
            SendWhenReady(puppet, &command, "a puppet");
        }

        /// <summary>The puppet's report of its call: fails unless the call returned <paramref name="expected"/>.</summary>
        private static Message Result(int puppet, IpcStatus expected, string what)
        {
            Message report = ProcessTestKit.Expect(puppet, what);
            if (report.Type != Done) Assert.Fail(string.Concat(what, ": the puppet sent type ", report.Type.ToString(), " instead of its report"));
            var status = (IpcStatus)(int)report.P1;
            if (status != expected)
                Assert.Fail(string.Concat(what, ": ", ProcessTestKit.StatusName(status), ", expected ", ProcessTestKit.StatusName(expected),
                    " (got type ", Dec(report.P3).ToString(), " from ", Dec(report.P2).ToString(), ")"));
            return report;
        }

        private static Message Do(int puppet, int op, int partner, IpcStatus expected, string what, ulong payload = 0)
        {
            Command(puppet, op, partner, payload);
            return Result(puppet, expected, what);
        }

        private static void CheckReceived(Message report, int source, int type, ulong payload, string what)
        {
            int gotSource = Dec(report.P2), gotType = Dec(report.P3);
            if (gotSource != source || gotType != type)
                Assert.Fail(string.Concat(what, ": type ", gotType.ToString(), " from ", gotSource.ToString(), ", expected type ", type.ToString(),
                    " from ", source.ToString()));
            if (type == Message.Notification) Assert.Equal(0ul, report.P4, string.Concat(what, ": a notification's payload is empty"));
            if (type != Data) return;
            Assert.Equal(payload, report.P4, string.Concat(what, ": payload"));
            Assert.Equal(1ul, report.P5, string.Concat(what, ": payload words P1..P6 intact"));
        }

        /// <summary>Waits until the process is blocked in <paramref name="state"/> on <paramref name="partner"/>; fails at once if its call returned instead.</summary>
        private static void AwaitBlocked(int endpoint, ProcessState state, int partner, string what)
        {
            Process process = ProcessTable.At(Endpoint.SlotOf(endpoint));
            ulong deadline = Tsc.DeadlineAfter(ProcessTestKit.ReportTimeoutMicros);
            while (!IsBlockedOn(process, state, partner))
            {
                if (process.Endpoint != endpoint || process.IsDead) Assert.Fail(string.Concat(what, ": the process died"));
                if (process.State == ProcessState.Sending && process.SendTo == ProcessTestKit.KernelTask)
                {
                    Message report = ProcessTestKit.Expect(endpoint, what);
                    Assert.Fail(string.Concat(what, ": did not block but returned ", ProcessTestKit.StatusName((IpcStatus)(int)report.P1)));
                }
                if (Tsc.Read() > deadline) Assert.Fail(string.Concat(what, ": never blocked (", Process.StateName(process.State), ")"));
                ClockServer.SleepFor(PollMicros);
            }
        }

        // A check that a process has stayed blocked: it cannot leave such a block and come back on its own.
        private static void AssertStillBlocked(int endpoint, ProcessState state, int partner, string what)
        {
            var m = new Message();
            IpcStatus status = Ipc.TryReceive(endpoint, &m);
            if (status == IpcStatus.Ok)
                Assert.Fail(string.Concat(what, ": it was woken and reported ", ProcessTestKit.StatusName((IpcStatus)(int)m.P1), " with type ",
                    Dec(m.P3).ToString(), " from ", Dec(m.P2).ToString()));
            Process process = ProcessTable.At(Endpoint.SlotOf(endpoint));
            if (!IsBlockedOn(process, state, partner))
                Assert.Fail(string.Concat(what, ": it was woken (now ", Process.StateName(process.State), ")"));
        }

        private static bool IsBlockedOn(Process process, ProcessState state, int partner) =>
            process.State == state && (state == ProcessState.Sending ? process.SendTo : process.ReceiveFrom) == partner;

        // ======================================================================================================
        // Helpers
        // ======================================================================================================

        private static ulong Enc(int value) => (ulong)(long)value;

        private static int Dec(ulong value) => (int)(long)value;

        private static ulong Pattern(ulong p0, int word) => (p0 ^ 0xC3A5_0F1E_0000_0000UL) * 0x9E37_79B9_7F4A_7C15UL + (ulong)word * 0x0101_0101UL;

        private static void Fill(Message* message, int type, ulong p0)
        {
            message->Type = type;
            ulong* words = &message->P0;
            words[0] = p0;
            for (int k = 1; k < 7; k++) words[k] = Pattern(p0, k);
        }

        private static bool Intact(Message* message, int fromWord, ulong p0)
        {
            ulong* words = &message->P0;
            for (int k = fromWord; k < 7; k++) if (words[k] != Pattern(p0, k)) return false;
            return true;
        }

        private static void AssertStatus(IpcStatus expected, IpcStatus actual, string what)
        {
            if (actual != expected)
                Assert.Fail(string.Concat(what, ": ", ProcessTestKit.StatusName(actual), ", expected ", ProcessTestKit.StatusName(expected)));
        }
    }
}

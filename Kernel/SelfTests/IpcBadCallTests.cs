using Kernel.Lib;
using Kernel.Proc;
using Kernel.Testing;
using static Kernel.SelfTests.IpcPuppets;

namespace Kernel.SelfTests
{
    /// <summary>
    /// Error codes for bad endpoints and messages, after MINIX 3: every call with every kind of bad endpoint, and every
    /// sending call with a bad message, from the kernel task and from a process; nothing reaches a live process meanwhile.
    /// </summary>
    [SelfTestSuite("ipc")]
    public static unsafe class IpcBadCallTests
    {
        private const int Results = 41, SinkGot = 42;

        [SelfTest]
        public static void BadEndpointsAndMessagesFromKernelTask()
        {
            SetUpBadCalls(withProber: false, out _, out int sink, out int newOwner, out int dead, out int stale);
            int neverUsed = NeverUsedEndpoint();
            var results = stackalloc ulong[4];
            MakeBadCalls(results, neverUsed, dead, stale, sink, inKernelTask: true);
            int run = CheckBadCalls(results, "kernel task");
            AssertUntouched(sink, "the live sink");
            AssertUntouched(newOwner, "the stale endpoint's slot's new owner");
            SelfTestRunner.Note(string.Concat(run.ToString(), neverUsed == Endpoint.None ? " cases (no never-used slot left)" : " cases"));
        }

        [SelfTest]
        public static void BadEndpointsAndMessagesFromProcess()
        {
            SetUpBadCalls(withProber: true, out int prober, out int sink, out int newOwner, out int dead, out int stale);
            int neverUsed = NeverUsedEndpoint();
            var go = new Message { Type = Ready, P0 = Enc(neverUsed), P1 = Enc(dead), P2 = Enc(stale), P3 = Enc(sink) };
            SendWhenReady(prober, &go, "the prober");
            Message results = ProcessKit.Expect(prober, "the prober's results");
            Assert.Equal((long)Results, results.Type, "the prober's report type");
            int run = CheckBadCalls(&results.P0, "process");
            AssertUntouched(sink, "the live sink");
            AssertUntouched(newOwner, "the stale endpoint's slot's new owner");
            SelfTestRunner.Note(string.Concat(run.ToString(), neverUsed == Endpoint.None ? " cases (no never-used slot left)" : " cases"));
        }

        /// <summary>
        /// A slot reused by a new process: nothing addressed to the old endpoint reaches the new owner, and receiving
        /// from the old endpoint is DeadEndpoint even while the new owner has a notification pending for the receiver.
        /// </summary>
        [SelfTest]
        public static void StaleEndpointNeverMeansTheSlotsNewOwner()
        {
            int r = NewPuppet("r");
            int stale = SpawnAndLetDie();
            int owner = SpawnIntoSlot(Endpoint.SlotOf(stale), "new-owner", &NotifyThenSink, (ulong)r);
            Assert.Equal((long)Endpoint.SlotOf(stale), Endpoint.SlotOf(owner), "the new process reused the dead one's slot");
            Assert.True(owner != stale, "with a new generation");
            Assert.True(ProcessKit.WaitForState(owner, ProcessState.Receiving), "the new owner notified r and the kernel task, then waits");

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
                Assert.Fail(string.Concat("kernel: TryReceive from the stale endpoint gave ", ProcessKit.StatusName(status),
                    ", not dead endpoint (received type ", received.Type.ToString(), " from ", received.Source.ToString(), ")"));

            Message note = Do(r, OpTryReceive, owner, IpcStatus.Ok, "r: the new owner's notification is still there");
            CheckReceived(note, owner, Message.Notification, 0, "r's notification from the new owner");
            AssertStatus(IpcStatus.Ok, Ipc.TryReceive(owner, &received), "kernel: the new owner's notification is still there");
            Assert.Equal((long)Message.Notification, received.Type, "kernel: it is a notification");
            Assert.Equal((long)owner, received.Source, "kernel: from the new owner");
            AssertUntouched(owner, "the slot's new owner");
        }

        private const int NotRun = 15;

        private enum Call : byte { Send, SendNonBlocking, SendRec, Receive, TryReceive, Notify }

        private enum Target : byte { MinusFive, None, Any, NeverUsed, Dead, Stale, IntMax, IntMin, Sink }

        private enum MessageKind : byte { Valid, Null, NotificationType, NegativeType, IntMinType }

        [Process("ipc-test")]
        private readonly struct BadCall
        {
            public readonly Call Call;
            public readonly Target To;
            public readonly IpcStatus Expected;
            public readonly MessageKind Given;

            public BadCall(Call call, Target to, IpcStatus expected, MessageKind given = MessageKind.Valid)
            {
                Call = call;
                To = to;
                Expected = expected;
                Given = given;
            }
        }

        // Every call with every bad endpoint (receiving from Any is no error), then bad messages. At most 64 rows: a
        // process reports the results 4 bits each in a message's first four words. A new table per caller: the prober
        // process may not read a kernel-side static.
        [Process("ipc-test")]
        private static BadCall[] BadCalls() => new BadCall[]
        {
            new(Call.Send, Target.MinusFive, IpcStatus.BadEndpoint),
            new(Call.SendNonBlocking, Target.MinusFive, IpcStatus.BadEndpoint),
            new(Call.SendRec, Target.MinusFive, IpcStatus.BadEndpoint),
            new(Call.Receive, Target.MinusFive, IpcStatus.BadEndpoint),
            new(Call.TryReceive, Target.MinusFive, IpcStatus.BadEndpoint),
            new(Call.Notify, Target.MinusFive, IpcStatus.BadEndpoint),
            new(Call.Send, Target.None, IpcStatus.BadEndpoint),
            new(Call.SendNonBlocking, Target.None, IpcStatus.BadEndpoint),
            new(Call.SendRec, Target.None, IpcStatus.BadEndpoint),
            new(Call.Receive, Target.None, IpcStatus.BadEndpoint),
            new(Call.TryReceive, Target.None, IpcStatus.BadEndpoint),
            new(Call.Notify, Target.None, IpcStatus.BadEndpoint),
            new(Call.Send, Target.Any, IpcStatus.BadEndpoint),
            new(Call.SendNonBlocking, Target.Any, IpcStatus.BadEndpoint),
            new(Call.SendRec, Target.Any, IpcStatus.BadEndpoint),
            new(Call.Notify, Target.Any, IpcStatus.BadEndpoint),
            new(Call.Send, Target.NeverUsed, IpcStatus.BadEndpoint),
            new(Call.SendNonBlocking, Target.NeverUsed, IpcStatus.BadEndpoint),
            new(Call.SendRec, Target.NeverUsed, IpcStatus.BadEndpoint),
            new(Call.Receive, Target.NeverUsed, IpcStatus.BadEndpoint),
            new(Call.TryReceive, Target.NeverUsed, IpcStatus.BadEndpoint),
            new(Call.Notify, Target.NeverUsed, IpcStatus.BadEndpoint),
            new(Call.Send, Target.Dead, IpcStatus.DeadEndpoint),
            new(Call.SendNonBlocking, Target.Dead, IpcStatus.DeadEndpoint),
            new(Call.SendRec, Target.Dead, IpcStatus.DeadEndpoint),
            new(Call.Receive, Target.Dead, IpcStatus.DeadEndpoint),
            new(Call.TryReceive, Target.Dead, IpcStatus.DeadEndpoint),
            new(Call.Notify, Target.Dead, IpcStatus.DeadEndpoint),
            new(Call.Send, Target.Stale, IpcStatus.DeadEndpoint),
            new(Call.SendNonBlocking, Target.Stale, IpcStatus.DeadEndpoint),
            new(Call.SendRec, Target.Stale, IpcStatus.DeadEndpoint),
            new(Call.Receive, Target.Stale, IpcStatus.DeadEndpoint),
            new(Call.TryReceive, Target.Stale, IpcStatus.DeadEndpoint),
            new(Call.Notify, Target.Stale, IpcStatus.DeadEndpoint),
            new(Call.Send, Target.IntMax, IpcStatus.BadEndpoint),
            new(Call.SendNonBlocking, Target.IntMax, IpcStatus.BadEndpoint),
            new(Call.SendRec, Target.IntMax, IpcStatus.BadEndpoint),
            new(Call.Receive, Target.IntMax, IpcStatus.BadEndpoint),
            new(Call.TryReceive, Target.IntMax, IpcStatus.BadEndpoint),
            new(Call.Notify, Target.IntMax, IpcStatus.BadEndpoint),
            new(Call.Send, Target.IntMin, IpcStatus.BadEndpoint),
            new(Call.SendNonBlocking, Target.IntMin, IpcStatus.BadEndpoint),
            new(Call.SendRec, Target.IntMin, IpcStatus.BadEndpoint),
            new(Call.Receive, Target.IntMin, IpcStatus.BadEndpoint),
            new(Call.TryReceive, Target.IntMin, IpcStatus.BadEndpoint),
            new(Call.Notify, Target.IntMin, IpcStatus.BadEndpoint),
            new(Call.Send, Target.Sink, IpcStatus.BadMessage, MessageKind.Null),
            new(Call.SendNonBlocking, Target.Sink, IpcStatus.BadMessage, MessageKind.Null),
            new(Call.SendRec, Target.Sink, IpcStatus.BadMessage, MessageKind.Null),
            new(Call.Receive, Target.Any, IpcStatus.BadMessage, MessageKind.Null),
            new(Call.TryReceive, Target.Any, IpcStatus.BadMessage, MessageKind.Null),
            new(Call.Send, Target.Sink, IpcStatus.BadMessage, MessageKind.NotificationType),
            new(Call.SendNonBlocking, Target.Sink, IpcStatus.BadMessage, MessageKind.NegativeType),
            new(Call.SendRec, Target.Sink, IpcStatus.BadMessage, MessageKind.IntMinType),
        };

        private static readonly string[] s_callNames = { "Send", "SendNonBlocking", "SendRec", "Receive", "TryReceive", "Notify" };
        private static readonly string[] s_targetNames =
            { "-5", "None", "Any", "a never-used slot", "a dead process", "a stale generation", "int.MaxValue", "int.MinValue", "sink" };
        private static readonly string[] s_messageNames = { "", ", null", ", type Notification", ", type -2", ", type int.MinValue" };
        [Process("ipc-test")]
        private static int MessageTypeOf(MessageKind kind) => kind switch
        {
            MessageKind.NotificationType => Message.Notification,
            MessageKind.NegativeType => -2,
            MessageKind.IntMinType => int.MinValue,
            _ => Data,
        };

        // The sink, a process that dies, the new owner of its slot (a second sink), the prober, then a second process
        // that dies and whose slot stays free.
        // Slots are claimed round robin, so a dead process's slot comes back only after a full turn: start the process
        // again and again, killing the ones that land elsewhere, until one lands in `slot`.
        private static int SpawnIntoSlot(int slot, string name, delegate*<ulong, void> entry, ulong argument)
        {
            for (int attempt = 0; attempt < Endpoint.Slots; attempt++)
            {
                int endpoint = ProcessKit.Spawn(name, entry, argument);
                if (Endpoint.SlotOf(endpoint) == slot) return endpoint;
                Scheduler.Kill(endpoint, "landed in another slot");
                Assert.True(Scheduler.WaitUntilOffCpu(endpoint, ProcessKit.ReportTimeoutMicros), "a misplaced process left its CPU");
            }
            Assert.Fail("no process landed in the dead one's slot within a full turn of the table");
            return Endpoint.None;
        }

        private static void SetUpBadCalls(bool withProber, out int prober, out int sink, out int newOwner, out int dead, out int stale)
        {
            sink = ProcessKit.Spawn("sink", &Sink, 0);
            stale = SpawnAndLetDie();
            newOwner = SpawnIntoSlot(Endpoint.SlotOf(stale), "new-owner", &Sink, 0);
            Assert.Equal((long)Endpoint.SlotOf(stale), Endpoint.SlotOf(newOwner), "the new owner reused the dead process's slot");
            Assert.True(newOwner != stale, "with a new generation");
            prober = withProber ? ProcessKit.Spawn("prober", &Prober, 0) : Endpoint.None;
            dead = SpawnAndLetDie();
            Assert.True(ProcessKit.WaitForState(sink, ProcessState.Receiving), "the sink waits for messages");
            Assert.True(ProcessKit.WaitForState(newOwner, ProcessState.Receiving), "the new owner waits for messages");
        }

        private static int SpawnAndLetDie()
        {
            int doomed = ProcessKit.Spawn("doomed", &Returns, 0);
            Assert.True(ProcessKit.WaitForState(doomed, ProcessState.Dead), "a process that returns dies");
            Assert.True(Scheduler.WaitUntilOffCpu(doomed, ProcessKit.ReportTimeoutMicros), "the dead process left its CPU");
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

        /// <summary>
        /// Makes every bad call in the table, shared by the kernel task and the prober process; a result per row, packed.
        /// The kernel task must never block, so before a blocking call it makes the non-blocking twin: if that would not
        /// fail (Ok or NotReady), the blocking call could wait forever, and the twin's result is recorded instead.
        /// </summary>
        [Process("ipc-test")]
        private static void MakeBadCalls(ulong* results, int neverUsed, int dead, int stale, int sink, bool inKernelTask)
        {
            int* targets = stackalloc int[(int)Target.Sink + 1];
            targets[(int)Target.MinusFive] = -5;
            targets[(int)Target.None] = Endpoint.None;
            targets[(int)Target.Any] = Endpoint.Any;
            targets[(int)Target.NeverUsed] = neverUsed;
            targets[(int)Target.Dead] = dead;
            targets[(int)Target.Stale] = stale;
            targets[(int)Target.IntMax] = int.MaxValue;
            targets[(int)Target.IntMin] = int.MinValue;
            targets[(int)Target.Sink] = sink;
            for (int i = 0; i < 4; i++) results[i] = 0;
            BadCall[] badCalls = BadCalls();
            for (int i = 0; i < badCalls.Length; i++) Pack(results, i, Make(badCalls[i], targets, (ulong)i, inKernelTask));
        }

        [Process("ipc-test")]
        private static int Make(BadCall row, int* targets, ulong payload, bool inKernelTask)
        {
            int to = targets[(int)row.To];
            if (row.To == Target.NeverUsed && to == Endpoint.None) return NotRun;
            var m = new Message();
            Fill(&m, MessageTypeOf(row.Given), payload);
            Message* message = row.Given == MessageKind.Null ? null : &m;
            if (inKernelTask && (row.Call == Call.Send || row.Call == Call.SendRec || row.Call == Call.Receive))
            {
                IpcStatus twin = row.Call == Call.Receive ? Ipc.TryReceive(to, message) : Ipc.SendNonBlocking(to, message);
                if (twin == IpcStatus.Ok || twin == IpcStatus.NotReady) return (int)twin;
            }
            return (int)(row.Call switch
            {
                Call.Send => Ipc.Send(to, message),
                Call.SendNonBlocking => Ipc.SendNonBlocking(to, message),
                Call.SendRec => Ipc.SendRec(to, message),
                Call.Receive => Ipc.Receive(to, message),
                Call.TryReceive => Ipc.TryReceive(to, message),
                _ => Ipc.Notify(to),
            });
        }

        [Process("ipc-test")]
        private static void Pack(ulong* words, int index, int status) => words[index / 16] |= (ulong)(status & 15) << (4 * (index % 16));

        private static int CheckBadCalls(ulong* results, string who)
        {
            var text = new TextBuffer();
            int wrong = 0, run = 0;
            BadCall[] badCalls = BadCalls();
            for (int i = 0; i < badCalls.Length; i++)
            {
                int got = (int)((results[i / 16] >> (4 * (i % 16))) & 15);
                if (got == NotRun) continue;
                run++;
                BadCall row = badCalls[i];
                if (got == (int)row.Expected) continue;
                text.Append(wrong++ == 0 ? who : ";");
                text.Append(' ');
                text.Append(s_callNames[(int)row.Call]);
                text.Append('(');
                text.Append(s_targetNames[(int)row.To]);
                text.Append(s_messageNames[(int)row.Given]);
                text.Append(") gave ");
                text.Append(ProcessKit.StatusName((IpcStatus)got));
                text.Append(", not ");
                text.Append(ProcessKit.StatusName(row.Expected));
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

        [Process("ipc-test")]
        private static void Returns(ulong unused) { }

        [Process("ipc-test")]
        private static void Sink(ulong unused)
        {
            var m = new Message();
            while (true)
            {
                IpcStatus status = Ipc.Receive(Endpoint.Any, &m);
                var report = new Message { Type = SinkGot, P0 = (ulong)status, P1 = Enc(m.Source), P2 = Enc(m.Type) };
                if (Ipc.Send(ProcessKit.KernelTask, &report) != IpcStatus.Ok) return;
            }
        }

        [Process("ipc-test")]
        private static void NotifyThenSink(ulong target)
        {
            Ipc.Notify(ProcessKit.KernelTask);
            Ipc.Notify((int)target);
            Sink(0);
        }

        [Process("ipc-test")]
        private static void Prober(ulong unused)
        {
            var go = new Message();
            if (Ipc.Receive(ProcessKit.KernelTask, &go) != IpcStatus.Ok) return;
            var results = new Message { Type = Results };
            MakeBadCalls(&results.P0, Dec(go.P0), Dec(go.P1), Dec(go.P2), Dec(go.P3), inKernelTask: false);
            Ipc.Send(ProcessKit.KernelTask, &results);
        }
    }
}

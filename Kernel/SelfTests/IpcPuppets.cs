using Kernel.Proc;
using Kernel.Testing;

namespace Kernel.SelfTests
{
    /// <summary>
    /// What the IPC tests share (suite "ipc", split by topic into the Ipc*Tests classes). Most tests drive "puppets":
    /// processes that wait for a command from the kernel task (one IPC call: op, partner, payload), make the call, and
    /// report what it returned and what it received. The kernel task scripts an interleaving step by step — it knows a
    /// puppet is blocked in its call when the process table says it is blocked on that partner — so every scenario is
    /// deterministic without timing. Other tests start processes that run on their own and report once (ProcessKit).
    /// </summary>
    [SelfTestSuite("ipc")]
    public static unsafe class IpcPuppets
    {
        // Puppet commands (the command message's Type; P0 = partner endpoint, P1 = payload word)
        internal const int OpSend = 1, OpSendRec = 2, OpSendNonBlocking = 3, OpReceive = 4, OpTryReceive = 5, OpNotify = 6;

        // Message types
        internal const int Data = 7;          // what puppets send each other: P0 = payload, P1..P6 = Pattern(P0, k)
        internal const int Untouched = 12345; // a receive buffer's type before the call
        internal const int Done = 900;        // a puppet's report: P0 op, P1 status, P2 source, P3 type, P4 payload, P5 intact, P6 CPU
        internal const int Ready = 40;

        [SelfTestCleanup]
        public static void KillStrays() => ProcessKit.KillStrays();

        internal static int NewPuppet(string name) => ProcessKit.Spawn(name, &Puppet, 0);

        /// <summary>
        /// Waits for a command from the kernel task, makes that one IPC call, reports it (Done), and waits again.
        /// Data it sends carries a pattern in P1..P6 derived from P0; data it receives is checked against it.
        /// </summary>
        [Process("ipc-test")]
        private static void Puppet(ulong unused)
        {
            int kernel = ProcessKit.KernelTask;
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
                    P4 = m.P0, P5 = intact ? 1UL : 0UL, P6 = (ulong)Snapshots.CurrentCpu,
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
        internal static Message ExpectPatiently(int from, string what) => ProcessKit.Expect(from, what, LongRunMicros, PatientPollMicros);

        /// <summary>Delivers a message to a process waiting for one from the kernel task, or fails the test (bounded wait).</summary>
        internal static void SendWhenReady(int to, Message* message, string what)
        {
            var poll = new PollDeadline(ProcessKit.ReportTimeoutMicros);
            while (true)
            {
                IpcStatus status = Ipc.SendNonBlocking(to, message);
                if (status == IpcStatus.Ok) return;
                if (status != IpcStatus.NotReady) Assert.Fail(string.Concat(what, ": could not be given its command: ", ProcessKit.StatusName(status)));
                if (!poll.Wait()) Assert.Fail(string.Concat(what, ": never waited for a command"));
            }
        }

        internal static void Command(int puppet, int op, int partner, ulong payload)
        {
            var command = new Message { Type = op, P0 = Enc(partner), P1 = payload };
            SendWhenReady(puppet, &command, "a puppet");
        }

        /// <summary>The puppet's report of its call: fails unless the call returned <paramref name="expected"/>.</summary>
        internal static Message Result(int puppet, IpcStatus expected, string what)
        {
            Message report = ProcessKit.Expect(puppet, what);
            if (report.Type != Done) Assert.Fail(string.Concat(what, ": the puppet sent type ", report.Type.ToString(), " instead of its report"));
            var status = (IpcStatus)(int)report.P1;
            if (status != expected)
                Assert.Fail(string.Concat(what, ": ", ProcessKit.StatusName(status), ", expected ", ProcessKit.StatusName(expected),
                    " (got type ", Dec(report.P3).ToString(), " from ", Dec(report.P2).ToString(), ")"));
            return report;
        }

        internal static Message Do(int puppet, int op, int partner, IpcStatus expected, string what, ulong payload = 0)
        {
            Command(puppet, op, partner, payload);
            return Result(puppet, expected, what);
        }

        internal static void CheckReceived(Message report, int source, int type, ulong payload, string what)
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
        internal static void AwaitBlocked(int endpoint, ProcessState state, int partner, string what)
        {
            Process process = ProcessTable.At(Endpoint.SlotOf(endpoint));
            var poll = new PollDeadline(ProcessKit.ReportTimeoutMicros);
            while (!IsBlockedOn(process, state, partner))
            {
                if (process.Endpoint != endpoint || process.IsDead) Assert.Fail(string.Concat(what, ": the process died"));
                if (process.State == ProcessState.Sending && process.SendTo == ProcessKit.KernelTask)
                {
                    Message report = ProcessKit.Expect(endpoint, what);
                    Assert.Fail(string.Concat(what, ": did not block but returned ", ProcessKit.StatusName((IpcStatus)(int)report.P1)));
                }
                if (!poll.Wait()) Assert.Fail(string.Concat(what, ": never blocked (", Process.StateName(process.State), ")"));
            }
        }

        // A check that a process has stayed blocked: it cannot leave such a block and come back on its own.
        internal static void AssertStillBlocked(int endpoint, ProcessState state, int partner, string what)
        {
            var m = new Message();
            IpcStatus status = Ipc.TryReceive(endpoint, &m);
            if (status == IpcStatus.Ok)
                Assert.Fail(string.Concat(what, ": it was woken and reported ", ProcessKit.StatusName((IpcStatus)(int)m.P1), " with type ",
                    Dec(m.P3).ToString(), " from ", Dec(m.P2).ToString()));
            Process process = ProcessTable.At(Endpoint.SlotOf(endpoint));
            if (!IsBlockedOn(process, state, partner))
                Assert.Fail(string.Concat(what, ": it was woken (now ", Process.StateName(process.State), ")"));
        }

        internal static bool IsBlockedOn(Process process, ProcessState state, int partner) =>
            process.State == state && (state == ProcessState.Sending ? process.SendTo : process.ReceiveFrom) == partner;

        [Process("ipc-test")]
        internal static ulong Enc(int value) => (ulong)(long)value;

        [Process("ipc-test")]
        internal static int Dec(ulong value) => (int)(long)value;

        [Process("ipc-test")]
        internal static ulong Pattern(ulong p0, int word) => (p0 ^ 0xC3A5_0F1E_0000_0000UL) * 0x9E37_79B9_7F4A_7C15UL + (ulong)word * 0x0101_0101UL;

        [Process("ipc-test")]
        internal static void Fill(Message* message, int type, ulong p0)
        {
            message->Type = type;
            ulong* words = &message->P0;
            words[0] = p0;
            for (int k = 1; k < 7; k++) words[k] = Pattern(p0, k);
        }

        [Process("ipc-test")]
        internal static bool Intact(Message* message, int fromWord, ulong p0)
        {
            ulong* words = &message->P0;
            for (int k = fromWord; k < 7; k++) if (words[k] != Pattern(p0, k)) return false;
            return true;
        }

        internal static void AssertStatus(IpcStatus expected, IpcStatus actual, string what)
        {
            if (actual != expected)
                Assert.Fail(string.Concat(what, ": ", ProcessKit.StatusName(actual), ", expected ", ProcessKit.StatusName(expected)));
        }
    }
}

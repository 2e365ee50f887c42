using Kernel.Arch;
using Kernel.Proc;
using Kernel.Smp;
using Kernel.Testing;
using static Kernel.SelfTests.IpcPuppets;

namespace Kernel.SelfTests
{
    /// <summary>
    /// Message integrity under load: numbered messages between the first and last online CPU, both directions at once,
    /// each end preempted by a busy process; every word of every message arrives, in order, from the right source.
    /// </summary>
    [SelfTestSuite("ipc")]
    public static unsafe class IpcIntegrityTests
    {
        private const int Sequence = 46, SenderDone = 47, ReceiverDone = 48;

        private const int SequenceLength = 200;

        [SelfTest]
        public static void MessageIntegrityAcrossCpus()
        {
            int first = -1, last = -1;
            for (int cpu = 0; cpu < Cpus.Count; cpu++)
            {
                if (Cpus.Get(cpu)->CpuState != CpuState.Online) continue;
                if (first < 0) first = cpu;
                last = cpu;
            }
            // Load: a busy process of the lowest priority under each end, so every wake-up preempts something.
            ProcessKit.Spawn("spinner", &ProcessKit.Spin, 0, Scheduler.LowestPriority, CpuSet.Of(first));
            if (last != first) ProcessKit.Spawn("spinner", &ProcessKit.Spin, 0, Scheduler.LowestPriority, CpuSet.Of(last));

            int r1 = ProcessKit.Spawn("seq-rx", &SequenceReceiver, SequenceLength, Scheduler.UserPriority, CpuSet.Of(last));
            int r2 = ProcessKit.Spawn("seq-rx", &SequenceReceiver, SequenceLength, Scheduler.UserPriority, CpuSet.Of(first));
            int s1 = ProcessKit.Spawn("seq-tx", &SequenceSender, (ulong)(uint)r1 | ((ulong)SequenceLength << 32), Scheduler.UserPriority, CpuSet.Of(first));
            int s2 = ProcessKit.Spawn("seq-tx", &SequenceSender, (ulong)(uint)r2 | ((ulong)SequenceLength << 32), Scheduler.UserPriority, CpuSet.Of(last));
            var go = new Message { Type = Ready, P0 = Enc(s1) };
            SendWhenReady(r1, &go, "the first receiver");
            go = new Message { Type = Ready, P0 = Enc(s2) };
            SendWhenReady(r2, &go, "the second receiver");

            CheckSequence(s1, r1, first, last);
            CheckSequence(s2, r2, last, first);
            SelfTestRunner.Note(string.Concat("2 x ", SequenceLength.ToString(), " messages, CPU ", first.ToString(), " <-> CPU ", last.ToString()));
        }

        private static void CheckSequence(int sender, int receiver, int from, int to)
        {
            string direction = string.Concat("CPU ", from.ToString(), " → CPU ", to.ToString());
            Message sent = ExpectPatiently(sender, "the sender's report");
            Assert.Equal((long)SenderDone, sent.Type, "the sender's report type");
            if (sent.P0 != SequenceLength)
                Assert.Fail(string.Concat(direction, ": the sender stopped after ", sent.P0.ToString(), " messages: ", ProcessKit.StatusName((IpcStatus)(int)sent.P1)));
            Message got = ExpectPatiently(receiver, "the receiver's report");
            Assert.Equal((long)ReceiverDone, got.Type, "the receiver's report type");
            if (got.P1 != 0)
                Assert.Fail(string.Concat(direction, ": ", got.P1.ToString(), " bad messages, the first #", got.P2.ToString(), " (bits ",
                    got.P3.ToString(), ": 1 status, 2 source, 4 type, 8<<k word k)"));
            Assert.Equal((ulong)SequenceLength, got.P0, string.Concat(direction, ": good messages received"));
            Assert.Equal((ulong)(uint)to, got.P4, string.Concat(direction, ": the receiver ran on its CPU"));
        }

        [Process("ipc-test")]
        private static ulong SequenceWord(int index, int word) => ((ulong)(uint)index << 32) | ((ulong)(uint)word << 24) | ((uint)(index * 7919 + word * 131) & 0xFFFFFF);

        [Process("ipc-test")]
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
            Ipc.Send(ProcessKit.KernelTask, &report);
        }

        [Process("ipc-test")]
        private static void SequenceReceiver(ulong count)
        {
            var go = new Message();
            if (Ipc.Receive(ProcessKit.KernelTask, &go) != IpcStatus.Ok) return;
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
            var report = new Message { Type = ReceiverDone, P0 = good, P1 = bad, P2 = firstBad, P3 = firstBits, P4 = (ulong)Snapshots.CurrentCpu };
            Ipc.Send(ProcessKit.KernelTask, &report);
        }
    }
}

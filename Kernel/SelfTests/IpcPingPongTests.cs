using Kernel.Arch;
using Kernel.Proc;
using Kernel.Smp;
using Kernel.Testing;
using static Kernel.SelfTests.IpcPuppets;

namespace Kernel.SelfTests
{
    /// <summary>
    /// Rendezvous on every pair of CPUs: a client pinned to each CPU makes SendRec round trips to an echo server pinned to
    /// each CPU, checking the reply's source, payload and the CPUs both ends ran on.
    /// </summary>
    [SelfTestSuite("ipc")]
    public static unsafe class IpcPingPongTests
    {
        private const int Ping = 43, PingResult = 45;
        private const int PingRounds = 20;
        private const int MaxPingCpus = 8;   // server endpoints: two per payload word, four words

        [SelfTest]
        public static void PingPongEveryCpuPair()
        {
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
                servers[j] = ProcessKit.Spawn("echo", &EchoServer.Run, 0, Scheduler.UserPriority, CpuSet.Of(cpus[j]));
                words[j / 2] |= (ulong)(uint)servers[j] << (32 * (j % 2));
            }
            for (int i = 0; i < count; i++) clients[i] = ProcessKit.Spawn("ping", &PingClient, 0, Scheduler.UserPriority, CpuSet.Of(cpus[i]));

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
                        ((result.P3 >> 32) & 0xFFFF).ToString(), " failed: ", ProcessKit.StatusName((IpcStatus)((result.P3 >> 16) & 0xFFFF)),
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
        }

        [Process("ipc-test")]
        private static void PingClient(ulong unused)
        {
            var go = new Message();
            if (Ipc.Receive(ProcessKit.KernelTask, &go) != IpcStatus.Ok) return;
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
                    int cpu = Snapshots.CurrentCpu;
                    if (myCpu < 0) myCpu = cpu;
                    else if (cpu != myCpu) myCpu = 0xFF;
                    ulong bad = 0;
                    if (m.Source != server) bad |= 1;
                    if (m.Type != Ping) bad |= 2;
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
            Ipc.Send(ProcessKit.KernelTask, &report);
        }
    }
}

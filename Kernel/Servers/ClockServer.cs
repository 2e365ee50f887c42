using Kernel.Proc;

namespace Kernel.Servers
{
    /// <summary>
    /// The clock server: sleeps and alarms for every process, multiplexed onto the kernel's single alarm (Alarm.cs).
    /// Sleep blocks the caller (a SendRec answered at the deadline); SetAlarm returns at once and the caller gets a
    /// notification from the clock server at the deadline. One pending request per process: a new one replaces it.
    /// Replies go out with SendNonBlocking, so a client that stopped listening cannot stall the server.
    /// </summary>
    [Process("clock")]
    public static unsafe class ClockServer
    {
        public const int Sleep = 1;      // P0 = microseconds; the reply comes at the deadline
        public const int SetAlarm = 2;   // P0 = microseconds; immediate reply, notification at the deadline
        public const int Now = 3;        // reply P0 = microseconds since boot

        [ProcessApi]
        public static int Endpoint => SystemProcesses.Clock;

        /// <summary>Client side: blocks the calling process for at least <paramref name="micros"/> microseconds.</summary>
        [ProcessApi]
        public static IpcStatus SleepFor(ulong micros)
        {
            Message message = Message.Of(Sleep, micros);
            return Ipc.SendRec(Endpoint, &message);
        }

        /// <summary>Client side: a notification from the clock server in <paramref name="micros"/> microseconds.</summary>
        [ProcessApi]
        public static IpcStatus AlarmIn(ulong micros)
        {
            Message message = Message.Of(SetAlarm, micros);
            return Ipc.SendRec(Endpoint, &message);
        }

        internal static void Run(ulong unused)
        {
            var deadlines = new ulong[Proc.Endpoint.Slots];   // TSC, 0 = nothing pending
            var clients = new int[Proc.Endpoint.Slots];
            var isAlarm = new bool[Proc.Endpoint.Slots];
            var message = new Message();
            while (true)
            {
                if (Ipc.Receive(Proc.Endpoint.Any, &message) != IpcStatus.Ok) continue;
                int slot = Proc.Endpoint.SlotOf(message.Source);
                if (message.Type == Message.Notification) { }   // the kernel's alarm: expiry below
                else if (message.Type == Sleep || message.Type == SetAlarm)
                {
                    deadlines[slot] = KernelCalls.TscDeadlineAfter(message.P0);
                    if (deadlines[slot] == 0) deadlines[slot] = 1;
                    clients[slot] = message.Source;
                    isAlarm[slot] = message.Type == SetAlarm;
                    if (isAlarm[slot]) Reply(message.Source, 0);
                }
                else if (message.Type == Now) Reply(message.Source, KernelCalls.MicrosecondsSinceBoot());
                Expire(deadlines, clients, isAlarm);
            }
        }

        private static void Expire(ulong[] deadlines, int[] clients, bool[] isAlarm)
        {
            ulong now = Snapshots.TscNow;
            ulong next = 0;
            for (int slot = 0; slot < deadlines.Length; slot++)
            {
                if (deadlines[slot] == 0) continue;
                if (deadlines[slot] <= now)
                {
                    deadlines[slot] = 0;
                    if (isAlarm[slot]) Ipc.Notify(clients[slot]);
                    else Reply(clients[slot], KernelCalls.MicrosecondsSinceBoot());
                }
                else if (next == 0 || deadlines[slot] < next) next = deadlines[slot];
            }
            Alarm.Set(next);
        }

        private static void Reply(int client, ulong p0)
        {
            Message reply = Message.Of(0, p0);
            Ipc.SendNonBlocking(client, &reply);
        }
    }
}

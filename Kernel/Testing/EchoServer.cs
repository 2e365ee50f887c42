using Kernel.Proc;

namespace Kernel.Testing
{
    /// <summary>
    /// The echo server self-tests and benchmarks start as a process: it answers every message with itself, P0 plus one
    /// (so a reply cannot be mistaken for the request left in the caller's buffer) and the CPU it answered from in P1.
    /// Replies never wait for a client that stopped listening; notifications get no answer.
    /// </summary>
    public static unsafe class EchoServer
    {
        [Process("echo")]
        public static void Run(ulong unused)
        {
            var message = new Message();
            while (true)
            {
                if (Ipc.Receive(Endpoint.Any, &message) != IpcStatus.Ok || message.Type == Message.Notification) continue;
                message.P0++;
                message.P1 = (ulong)Snapshots.CurrentCpu;
                Ipc.SendNonBlocking(message.Source, &message);
            }
        }
    }
}

using Kernel.Lib;
using Kernel.Proc;

namespace Kernel.Servers
{
    /// <summary>
    /// The console server: the one process that writes processes' output to the serial console, a line at a time,
    /// each line prefixed with its sender's name, so lines from processes on different CPUs never interleave. A
    /// client sends its text in pieces of up to 48 bytes (Write); a piece marked end-of-line completes the line.
    /// </summary>
    public static unsafe class ConsoleServer
    {
        public const int Write = 1;
        public const int WriteLine = 2;
        private const int PieceBytes = Message.PayloadBytes - sizeof(ulong);   // P0 holds the length
        private const int NameRoom = 32;                                        // "[name] " takes at most this much of an output line
        private const int LineLimit = TextBuffer.Capacity - NameRoom - PieceBytes;   // a partial line this long is written out before the next piece

        public static int Endpoint { get; private set; } = Proc.Endpoint.None;

        public static void Start() => Endpoint = Scheduler.Spawn("console", &Run, 0, Scheduler.ServerPriority);

        /// <summary>Client side: writes one line (ASCII; longer lines are wrapped by the server's line buffer).</summary>
        public static IpcStatus Print(string text)
        {
            var message = new Message();
            int at = 0;
            do
            {
                int count = text.Length - at < PieceBytes ? text.Length - at : PieceBytes;
                message.Type = at + count == text.Length ? WriteLine : Write;
                message.P0 = (ulong)count;
                byte* bytes = (byte*)&message.P1;
                for (int i = 0; i < count; i++) bytes[i] = (byte)text[at + i];
                IpcStatus status = Ipc.Send(Endpoint, &message);
                if (status != IpcStatus.Ok) return status;
                at += count;
            }
            while (at < text.Length);
            return IpcStatus.Ok;
        }

        private static void Run(ulong unused)
        {
            var lines = new TextBuffer[Proc.Endpoint.Slots];   // one partial line per client slot
            var message = new Message();
            while (true)
            {
                if (Ipc.Receive(Proc.Endpoint.Any, &message) != IpcStatus.Ok) continue;
                if (message.Type != Write && message.Type != WriteLine) continue;
                int slot = Proc.Endpoint.SlotOf(message.Source);
                byte* bytes = (byte*)&message.P1;
                int count = message.P0 > PieceBytes ? PieceBytes : (int)message.P0;
                for (int i = 0; i < count; i++) lines[slot].Append((char)bytes[i]);
                if (message.Type == WriteLine || lines[slot].Length > LineLimit) Emit(ref lines[slot], slot);
            }
        }

        private static void Emit(ref TextBuffer line, int slot)
        {
            var output = new TextBuffer();
            string name = ProcessTable.At(slot).Name;
            output.Append('[');
            for (int i = 0; i < name.Length && i < NameRoom - 3; i++) output.Append(name[i]);
            output.Append("] ");
            for (int i = 0; i < line.Length; i++) output.Append(line[i]);
            Diagnostics.Console.WriteLine(ref output);
            line.Clear();
        }
    }
}

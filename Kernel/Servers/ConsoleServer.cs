using Kernel.Lib;
using Kernel.Proc;

namespace Kernel.Servers
{
    /// <summary>
    /// The console server, MINIX's TTY: the one process that writes processes' output to the console (serial and
    /// screen) and hands them what is typed at it. Output is whole lines: a client sends its text in pieces of up to
    /// 48 bytes, and the server writes nothing of it until the piece that ends it, so output from processes on
    /// different CPUs never interleaves. Lines sent with Write/WriteLine are prefixed with the sender's name; the
    /// shell's own text (WriteRaw/WriteRawEnd) goes out as it is, escape sequences included, and its last piece is a
    /// SendRec answered once the text is out. Input: a client asks with Read (SendRec) and the reply comes when there
    /// is at least one byte, from <see cref="ConsoleInput"/>, which device interrupts fill and whose notification
    /// wakes the server. One reader at a time.
    /// </summary>
    [Process("console")]
    public static unsafe class ConsoleServer
    {
        public const int Write = 1;
        public const int WriteLine = 2;
        public const int WriteRaw = 3;
        public const int WriteRawEnd = 4;
        public const int Read = 5;        // reply: P0 = bytes, the bytes from P1 on
        public const int ReadBusy = 6;    // reply: another process is reading
        private const int PieceBytes = Message.PayloadBytes - sizeof(ulong);   // P0 holds the length
        private const int NameRoom = 32;                                        // "[name] " takes at most this much of an output line
        private const int LineLimit = TextBuffer.Capacity - NameRoom - PieceBytes;   // a partial line this long is written out before the next piece

        [ProcessApi]
        public static int Endpoint => SystemProcesses.Console;

        /// <summary>Client side: writes one line (ASCII; longer lines are wrapped by the server's line buffer).</summary>
        [ProcessApi]
        public static IpcStatus Print(string text)
        {
            fixed (char* chars = text) return Send(chars, text.Length, Write, WriteLine);
        }

        /// <summary>Client side: writes text as it is, without a name prefix or a line end (the shell's prompt, echo and tables).</summary>
        [ProcessApi]
        public static IpcStatus PrintRaw(char* text, int count) => Send(text, count, WriteRaw, WriteRawEnd);

        /// <summary>Client side: waits until something is typed and returns up to <paramref name="max"/> bytes of it (0 on error).</summary>
        [ProcessApi]
        public static int ReadInput(byte* into, int max)
        {
            var message = new Message { Type = Read };
            if (Ipc.SendRec(Endpoint, &message) != IpcStatus.Ok || message.Type != Read) return 0;
            int count = (int)(message.P0 < (ulong)max ? message.P0 : (ulong)max);
            byte* bytes = (byte*)&message.P1;
            for (int i = 0; i < count; i++) into[i] = bytes[i];
            return count;
        }

        private static IpcStatus Send(char* text, int length, int pieceType, int lastPieceType)
        {
            var message = new Message();
            int at = 0;
            do
            {
                int count = length - at < PieceBytes ? length - at : PieceBytes;
                message.Type = at + count == length ? lastPieceType : pieceType;
                message.P0 = (ulong)count;
                byte* bytes = (byte*)&message.P1;
                for (int i = 0; i < count; i++) bytes[i] = text[at + i] < 0x80 ? (byte)text[at + i] : (byte)'?';
                // The shell's text is on the console before PrintRaw returns (the last piece waits for the server's
                // reply), so its echo and prompt never land after output the kernel writes directly.
                IpcStatus status = message.Type == WriteRawEnd ? Ipc.SendRec(Endpoint, &message) : Ipc.Send(Endpoint, &message);
                if (status != IpcStatus.Ok) return status;
                at += count;
            }
            while (at < length);
            return IpcStatus.Ok;
        }

        internal static void Run(ulong unused)
        {
            var lines = new TextBuffer[Proc.Endpoint.Slots];   // one partial line per client slot
            var message = new Message();
            int reader = Proc.Endpoint.None;
            while (true)
            {
                if (Ipc.Receive(Proc.Endpoint.Any, &message) != IpcStatus.Ok) continue;
                int slot = Proc.Endpoint.SlotOf(message.Source);
                if (message.Type == Message.Notification) { AnswerReader(ref reader); continue; }
                if (message.Type == Read)
                {
                    if (reader != Proc.Endpoint.None && Snapshots.ProcessWith(reader, out _)) Reply(message.Source, ReadBusy);
                    else { reader = message.Source; AnswerReader(ref reader); }
                    continue;
                }
                if (message.Type < Write || message.Type > WriteRawEnd) continue;
                byte* bytes = (byte*)&message.P1;
                int count = message.P0 > PieceBytes ? PieceBytes : (int)message.P0;
                for (int i = 0; i < count; i++) lines[slot].Append((char)bytes[i]);
                bool raw = message.Type >= WriteRaw;
                if (message.Type == WriteLine || message.Type == WriteRawEnd || lines[slot].Length > LineLimit)
                {
                    if (raw) EmitRaw(ref lines[slot]);
                    else Emit(ref lines[slot], slot);
                }
                if (message.Type == WriteRawEnd) Reply(message.Source, WriteRawEnd);
            }
        }

        // Hands the waiting reader what has been typed, if anything has.
        private static void AnswerReader(ref int reader)
        {
            if (reader == Proc.Endpoint.None) return;
            var reply = new Message { Type = Read };
            int count = KernelCalls.TakeInput((byte*)&reply.P1, PieceBytes);
            if (count == 0) return;
            reply.P0 = (ulong)count;
            Ipc.SendNonBlocking(reader, &reply);   // a reader killed meanwhile just loses the keys
            reader = Proc.Endpoint.None;
        }

        private static void Reply(int to, int type)
        {
            var reply = new Message { Type = type };
            Ipc.SendNonBlocking(to, &reply);
        }

        private static void EmitRaw(ref TextBuffer text)
        {
            byte* bytes = stackalloc byte[TextBuffer.Capacity];
            for (int i = 0; i < text.Length; i++) bytes[i] = (byte)text[i];
            KernelCalls.ConsoleWrite(bytes, text.Length);
            text.Clear();
        }

        private static void Emit(ref TextBuffer line, int slot)
        {
            var output = new TextBuffer();
            string name = Snapshots.ProcessAt(slot, out ProcessInfo process) ? process.Name : "";
            output.Append('[');
            for (int i = 0; i < name.Length && i < NameRoom - 3; i++) output.Append(name[i]);
            output.Append("] ");
            for (int i = 0; i < line.Length; i++) output.Append(line[i]);
            KernelCalls.ConsoleWriteLine(ref output);
            line.Clear();
        }
    }
}

using Kernel.Lib;
using Kernel.Proc;
using Kernel.Servers;

namespace Kernel.Shell
{
    /// <summary>
    /// The kernel shell: a process like any other, started when the kernel is given neither `selftest` nor `bench`.
    /// It reads keys from the console server, edits the line (<see cref="LineEditor"/>), and runs the command
    /// (<see cref="ShellCommands"/>); its output goes back through the console server, so it appears on the serial
    /// line and on the screen alike. Work that must run on the boot CPU's kernel thread (CPU hot-plug, self-tests,
    /// benchmarks, the IPI probe) is asked of the kernel task (<see cref="SystemTask"/>). Nothing is allocated per
    /// command: a shell left running for days does not use up the heap.
    /// </summary>
    public static unsafe class ShellProcess
    {
        public const string Prompt = "kernel> ";
        private const int InputChunk = 48;
        private const ulong ConsoleRetryMicros = 100_000;

        private static LineEditor s_editor;
        private static CommandWords s_words;
        private static byte* s_input;
        private static int s_inputAt, s_inputCount;

        public static int Endpoint { get; private set; } = Proc.Endpoint.None;

        public static void Start() => Endpoint = Scheduler.Spawn("shell", &Run, 0, Scheduler.UserPriority, isSystem: true);

        private static void Run(ulong unused)
        {
            s_editor = new LineEditor();
            s_words = new CommandWords();
            byte* input = stackalloc byte[InputChunk];
            s_input = input;
            Print("kernel shell: 'help' lists the commands");
            while (true)
            {
                if (ReadLine())
                {
                    s_words.Split(s_editor);
                    ShellCommands.Execute(s_words);
                }
            }
        }

        /// <summary>Prompts and edits one line; true when Enter ended it, false when Ctrl-C abandoned it.</summary>
        private static bool ReadLine()
        {
            PrintRaw(Prompt);
            return EditLine() == EditResult.Line;
        }

        /// <summary>Asks for a yes/no answer on its own line (the `panic` confirmation).</summary>
        internal static bool Confirm(string question)
        {
            PrintRaw(question);
            return EditLine() == EditResult.Line && s_editor.LineEquals("yes");
        }

        // Feeds typed bytes to the editor, echoing as it goes, until Enter or Ctrl-C ends the line.
        private static EditResult EditLine()
        {
            s_editor.Begin();
            EditResult result;
            do
            {
                result = s_editor.Feed(NextByte());
                if (result != EditResult.Editing || s_inputAt == s_inputCount) FlushEcho();
            }
            while (result == EditResult.Editing);
            return result;
        }

        private static byte NextByte()
        {
            while (s_inputAt == s_inputCount)
            {
                s_inputAt = 0;
                s_inputCount = ConsoleServer.ReadInput(s_input, InputChunk);
                if (s_inputCount == 0) ClockServer.SleepFor(ConsoleRetryMicros);   // another reader, or the console server restarting
            }
            return s_input[s_inputAt++];
        }

        private static void FlushEcho()
        {
            int count = s_editor.OutputLength;
            if (count == 0) return;
            char* echo = stackalloc char[count];
            for (int i = 0; i < count; i++) echo[i] = s_editor.OutputAt(i);
            ConsoleServer.PrintRaw(echo, count);
            s_editor.ClearOutput();
        }

        internal static void PrintRaw(string text)
        {
            fixed (char* chars = text) ConsoleServer.PrintRaw(chars, text.Length);
        }

        internal static void Print(string text)
        {
            var line = new TextBuffer();
            line.Append(text);
            Print(ref line);
        }

        internal static void Print(ref TextBuffer line)
        {
            char* chars = stackalloc char[TextBuffer.Capacity + 2];
            int count = line.CopyTo(chars, TextBuffer.Capacity + 1);
            chars[count++] = '\n';
            ConsoleServer.PrintRaw(chars, count);
        }

        /// <summary>One line: "command: problem". The shell goes on.</summary>
        internal static void Error(string command, string problem)
        {
            var line = new TextBuffer();
            line.Append(command);
            line.Append(": ");
            line.Append(problem);
            Print(ref line);
        }
    }
}

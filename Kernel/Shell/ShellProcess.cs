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
    /// benchmarks, the IPI probe) and what no process may do itself (kill, power off, reboot, panic) is asked of the kernel
    /// task (<see cref="SystemTask"/>); what it shows of the kernel comes from <see cref="Snapshots"/>. Its state lives in
    /// one instance on its own stack and heap, never in statics (docs/processes.md). Nothing is allocated per command:
    /// a shell left running for days does not use up the heap.
    /// </summary>
    [Process("shell")]
    public sealed unsafe class ShellProcess
    {
        public const string Prompt = "kernel> ";
        private const int InputChunk = 48;
        private const ulong ConsoleRetryMicros = 100_000;

        private readonly LineEditor _editor = new LineEditor();
        private readonly CommandWords _words = new CommandWords();
        private readonly ShellCommands _commands;
        private readonly byte* _input;
        private int _inputAt, _inputCount;

        [ProcessApi]
        public static int Endpoint => SystemProcesses.Shell;

        private ShellProcess(byte* input)
        {
            _input = input;
            _commands = new ShellCommands(this);
        }

        internal static void Run(ulong unused)
        {
            byte* input = stackalloc byte[InputChunk];
            new ShellProcess(input).Loop();
        }

        private void Loop()
        {
            Print("kernel shell: 'help' lists the commands");
            while (true)
            {
                if (ReadLine())
                {
                    _words.Split(_editor);
                    _commands.Execute(_words);
                }
            }
        }

        /// <summary>Prompts and edits one line; true when Enter ended it, false when Ctrl-C abandoned it.</summary>
        private bool ReadLine()
        {
            PrintRaw(Prompt);
            return EditLine() == EditResult.Line;
        }

        /// <summary>Asks for a yes/no answer on its own line (the `panic` confirmation).</summary>
        internal bool Confirm(string question)
        {
            PrintRaw(question);
            return EditLine() == EditResult.Line && _editor.LineEquals("yes");
        }

        // Feeds typed bytes to the editor, echoing as it goes, until Enter or Ctrl-C ends the line.
        private EditResult EditLine()
        {
            _editor.Begin();
            EditResult result;
            do
            {
                result = _editor.Feed(NextByte());
                if (result != EditResult.Editing || _inputAt == _inputCount) FlushEcho();
            }
            while (result == EditResult.Editing);
            return result;
        }

        private byte NextByte()
        {
            while (_inputAt == _inputCount)
            {
                _inputAt = 0;
                _inputCount = ConsoleServer.ReadInput(_input, InputChunk);
                if (_inputCount == 0) ClockServer.SleepFor(ConsoleRetryMicros);   // another reader, or the console server restarting
            }
            return _input[_inputAt++];
        }

        private void FlushEcho()
        {
            int count = _editor.OutputLength;
            if (count == 0) return;
            char* echo = stackalloc char[count];
            for (int i = 0; i < count; i++) echo[i] = _editor.OutputAt(i);
            ConsoleServer.PrintRaw(echo, count);
            _editor.ClearOutput();
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

        internal static void Print(LogLine text)
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
        internal static void Error(string command, string problem) => Print($"{command}: {problem}");
    }
}

using System.Text;
using Kernel.Shell;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>
/// The shell's line editor, driven as a terminal drives it. Besides the edited line, every test checks that the
/// echo, replayed on a model terminal, shows exactly that line with the cursor in the same place.
/// </summary>
public class LineEditorTests
{
    const string Left = "\u001b[D", Right = "\u001b[C", Up = "\u001b[A", Down = "\u001b[B";

    [Test]
    public void Typed_text_ends_with_enter()
    {
        var (editor, terminal, result) = Type("cpus\r");
        Assert.That(result, Is.EqualTo(EditResult.Line));
        Assert.That(Line(editor), Is.EqualTo("cpus"));
        Assert.That(terminal.Newlines, Is.EqualTo(1));
    }

    [TestCase("ab\r\ncd\r", "cd", 2, TestName = "CR LF is one Enter")]
    [TestCase("ab\ncd\n", "cd", 2, TestName = "LF alone is Enter")]
    public void Line_ends(string keys, string last, int lines)
    {
        var editor = new LineEditor();
        int ended = 0;
        foreach (var key in Encoding.ASCII.GetBytes(keys))
            if (editor.Feed(key) == EditResult.Line) { ended++; if (ended < lines) editor.Begin(); }
        Assert.That(ended, Is.EqualTo(lines));
        Assert.That(Line(editor), Is.EqualTo(last));
    }

    [TestCase("cpu" + Left + Left + "s", "cspu", 2)]
    [TestCase("abc\u007f\u007f", "a", 1)]
    [TestCase("abc" + Left + "\u007f", "ac", 1)]
    [TestCase("abc\u0001x", "xabc", 1)]
    [TestCase("abc\u0001\u0005x", "abcx", 4)]
    [TestCase("abc\u001b[H\u001b[3~", "bc", 0)]
    [TestCase("abc\u001b[1~y\u001b[4~z", "yabcz", 5)]
    [TestCase("abc\u001bOH" + Right + "\u001b[3~", "ac", 1)]
    [TestCase("hello\u0015bye", "bye", 3)]
    [TestCase("\u007f" + Left + "\u001b[3~x", "x", 1)]
    [TestCase("a\tb\u0007c", "abc", 3)]
    [TestCase("ab\u001b[5~c", "abc", 3)]
    public void Editing_keys(string keys, string line, int cursor)
    {
        var (editor, terminal, result) = Type(keys);
        Assert.That(result, Is.EqualTo(EditResult.Editing));
        Assert.That(Line(editor), Is.EqualTo(line));
        Assert.That(editor.Cursor, Is.EqualTo(cursor));
        Assert.That(terminal.Text, Is.EqualTo(line), "the terminal shows the line");
        Assert.That(terminal.Cursor, Is.EqualTo(cursor), "the terminal's cursor is where the editor's is");
    }

    [Test]
    public void Ctrl_c_abandons_the_line()
    {
        var (editor, _, result) = Type("offline 3\u0003");
        Assert.That(result, Is.EqualTo(EditResult.Cancelled));
        Assert.That(editor.Length, Is.Zero);
    }

    [Test]
    public void History_browses_older_and_newer_lines_and_restores_the_line_being_typed()
    {
        var editor = new LineEditor();
        var terminal = new ModelTerminal();
        foreach (var command in new[] { "cpus", "alt", "alt", "ps" })
        {
            Feed(editor, terminal, command + "\r");
            editor.Begin();
            terminal.Clear();
        }
        Feed(editor, terminal, "draft");
        Feed(editor, terminal, Up);
        Assert.That(Line(editor), Is.EqualTo("ps"));
        Feed(editor, terminal, Up + Up);
        Assert.That(Line(editor), Is.EqualTo("cpus"), "a repeated line is kept once");
        Feed(editor, terminal, Up);
        Assert.That(Line(editor), Is.EqualTo("cpus"), "the oldest line stays");
        Feed(editor, terminal, Down + Down + Down);
        Assert.That(Line(editor), Is.EqualTo("draft"));
        Assert.That(terminal.Text, Is.EqualTo("draft"));
        Assert.That(terminal.Cursor, Is.EqualTo(5));
    }

    [Test]
    public void History_keeps_the_newest_lines()
    {
        var editor = new LineEditor();
        var terminal = new ModelTerminal();
        for (int i = 0; i < LineEditor.HistoryDepth + 5; i++)
        {
            Feed(editor, terminal, $"cmd{i}\r");
            editor.Begin();
            terminal.Clear();
        }
        for (int i = 0; i < LineEditor.HistoryDepth + 3; i++) Feed(editor, terminal, Up);
        Assert.That(Line(editor), Is.EqualTo("cmd5"));
    }

    [Test]
    public void A_full_line_takes_no_more()
    {
        var (editor, terminal, _) = Type(new string('x', LineEditor.MaxLine + 10));
        Assert.That(editor.Length, Is.EqualTo(LineEditor.MaxLine));
        Assert.That(terminal.Text.Length, Is.EqualTo(LineEditor.MaxLine));
    }

    [Test]
    public void Random_keystrokes_keep_the_terminal_in_step()
    {
        string[] keys = ["a", "b", " ", "7", Left, Right, Up, Down, "\u007f", "\u001b[3~", "\u001b[H", "\u001b[F", "\u0001", "\u0005", "\u0015", "\r"];
        var random = new Random(1234);
        var editor = new LineEditor();
        var terminal = new ModelTerminal();
        for (int step = 0; step < 20_000; step++)
        {
            var key = keys[random.Next(keys.Length)];
            if (Feed(editor, terminal, key) == EditResult.Line)
            {
                editor.Begin();
                terminal.Clear();
                continue;
            }
            Assert.That(terminal.Text, Is.EqualTo(Line(editor).TrimEnd(' ')), $"after step {step}");
            Assert.That(terminal.Cursor, Is.EqualTo(editor.Cursor), $"after step {step}");
        }
    }

    static (LineEditor, ModelTerminal, EditResult) Type(string keys)
    {
        var editor = new LineEditor();
        var terminal = new ModelTerminal();
        return (editor, terminal, Feed(editor, terminal, keys));
    }

    static EditResult Feed(LineEditor editor, ModelTerminal terminal, string keys)
    {
        var result = EditResult.Editing;
        foreach (var key in Encoding.ASCII.GetBytes(keys))
            result = editor.Feed(key);
        for (int i = 0; i < editor.OutputLength; i++) terminal.Receive(editor.OutputAt(i));
        editor.ClearOutput();
        return result;
    }

    static string Line(LineEditor editor)
    {
        var text = new StringBuilder();
        for (int i = 0; i < editor.Length; i++) text.Append(editor[i]);
        return text.ToString();
    }

    /// <summary>One line of a VT100: printable characters overwrite, ESC[nC / ESC[nD move, ESC[K erases to the end.</summary>
    sealed class ModelTerminal
    {
        readonly StringBuilder _line = new();
        string? _escape;

        public int Cursor { get; private set; }
        public int Newlines { get; private set; }
        public string Text => _line.ToString().TrimEnd(' ');

        public void Clear()
        {
            _line.Clear();
            Cursor = 0;
        }

        public void Receive(char c)
        {
            if (_escape != null)
            {
                _escape += c;
                if (char.IsAsciiLetter(c)) Apply(_escape);
                if (char.IsAsciiLetter(c)) _escape = null;
                return;
            }
            if (c == '\u001b') _escape = "";
            else if (c == '\r') Cursor = 0;
            else if (c == '\n') { Newlines++; Cursor = 0; }   // the kernel's console sends LF as CR LF
            else if (c == '^') { }
            else if (c >= ' ')
            {
                while (_line.Length <= Cursor) _line.Append(' ');
                _line[Cursor++] = c;
            }
        }

        void Apply(string sequence)
        {
            Assert.That(sequence, Does.StartWith("["), "only CSI sequences are emitted");
            var final = sequence[^1];
            int count = sequence.Length > 2 ? int.Parse(sequence[1..^1]) : 1;
            if (final == 'C') Cursor += count;
            else if (final == 'D') Cursor -= count;
            else if (final == 'K') { if (_line.Length > Cursor) _line.Length = Cursor; }
            else Assert.Fail($"unexpected sequence ESC{sequence}");
            Assert.That(Cursor, Is.GreaterThanOrEqualTo(0), "the cursor never moves left of the line's start");
        }
    }
}

using System.Text;
using Kernel.Shell;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

public class CommandWordsTests
{
    [Test]
    public void Words_are_split_at_runs_of_spaces()
    {
        var words = Split("  offline   3 ");
        Assert.That(words.Count, Is.EqualTo(2));
        Assert.That(words.Is(0, "offline"), Is.True);
        Assert.That(words.Is(0, "offlin"), Is.False);
        Assert.That(words.TryParse(1, out int cpu) && cpu == 3, Is.True);
    }

    [Test]
    public void An_empty_line_has_no_words() => Assert.That(Split("    ").Count, Is.Zero);

    [TestCase("x")]
    [TestCase("-1")]
    [TestCase("3x")]
    [TestCase("9999999999")]
    public void Bad_numbers_are_refused(string argument) => Assert.That(Split("ipi " + argument).TryParse(1, out _), Is.False);

    [Test]
    public void Prefixes_match_names()
    {
        var words = Split("bench ip");
        Assert.That(words.IsPrefixOf(1, "ipi"), Is.True);
        Assert.That(words.IsPrefixOf(1, "i"), Is.False);
        Assert.That(words.IsPrefixOf(2, "ipi"), Is.False, "a missing word matches nothing");
    }

    [Test]
    public void Too_many_words_are_flagged()
    {
        var words = Split(string.Join(' ', Enumerable.Repeat("w", CommandWords.MaxWords + 1)));
        Assert.That(words.TooMany, Is.True);
        Assert.That(words.Count, Is.EqualTo(CommandWords.MaxWords));
    }

    static CommandWords Split(string line)
    {
        var editor = new LineEditor();
        foreach (var key in Encoding.ASCII.GetBytes(line)) editor.Feed(key);
        var words = new CommandWords();
        words.Split(editor);
        return words;
    }
}

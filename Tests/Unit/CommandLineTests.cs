using NUnit.Framework;

namespace Kernel.Tests.Unit;

public class CommandLineTests
{
    [Test]
    public void Empty_and_null_lines_have_no_options()
    {
        foreach (var text in new[] { null, "", "   \t " })
        {
            var options = CommandLine.Parse(text!);
            Assert.That(options.Has("selftest"), Is.False);
            Assert.That(options.Warnings, Is.Empty);
        }
    }

    [Test]
    public void Flags_and_values_are_found()
    {
        var options = CommandLine.Parse("selftest=heap.Grows loglevel=debug test.fail");
        Assert.That(options.TryGetValue("selftest", out var filter), Is.True);
        Assert.That(filter, Is.EqualTo("heap.Grows"));
        Assert.That(options.Has("test.fail"), Is.True);
        Assert.That(options.TryGetValue("test.panic", out _), Is.False);
    }

    [Test]
    public void Later_words_override_earlier_ones()
    {
        var options = CommandLine.Parse("loglevel=warn loglevel=debug");
        Assert.That(options.TryGetValue("loglevel", out var level), Is.True);
        Assert.That(level, Is.EqualTo("debug"));
    }

    [Test]
    public void Unknown_and_malformed_options_are_warned_about_by_name()
    {
        var options = CommandLine.Parse("frobnicate loglevel test.fail=1 =5 selftest");
        Assert.That(options.Warnings, Has.Length.EqualTo(4));
        Assert.That(options.Warnings[0], Does.Contain("'frobnicate'"));
        Assert.That(options.Warnings[1], Does.Contain("'loglevel' needs a value"));
        Assert.That(options.Warnings[2], Does.Contain("'test.fail' takes no value"));
        Assert.That(options.Warnings[3], Does.Contain("''"));
        Assert.That(options.Has("selftest"), Is.True, "good words after bad ones still count");
        Assert.That(options.Has("loglevel"), Is.False);
    }

    [Test]
    public void Empty_values_are_kept_for_the_option_to_judge_and_missing_ones_warned_about()
    {
        var options = CommandLine.Parse("maxcpus= test.ghost-ap acpi=off acpi=");
        Assert.That(options.TryGetValue("maxcpus", out var maxcpus), Is.True);
        Assert.That(maxcpus, Is.EqualTo(""), "maxcpus= reaches its parser, which warns and keeps the default");
        Assert.That(options.TryGetValue("acpi", out var acpi) && acpi == "", Is.True, "the last acpi wins, empty");
        Assert.That(options.Warnings, Has.Length.EqualTo(1));
        Assert.That(options.Warnings[0], Does.Contain("'test.ghost-ap' needs a value"));
    }

    [Test]
    public void Every_known_option_has_help_text()
    {
        foreach (var option in CommandLine.Known)
            Assert.That(option.Help, Is.Not.Empty, option.Name);
    }
}

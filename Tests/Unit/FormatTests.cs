using NUnit.Framework;

using Kernel.Lib;

namespace Kernel.Tests.Unit;

public unsafe class FormatTests
{
    private static string Decimal(long value)
    {
        char* buffer = stackalloc char[Format.MaxDecimalChars];
        return new string(buffer, 0, Format.Decimal(buffer, value));
    }

    private static string Hex(ulong value, int minDigits)
    {
        char* buffer = stackalloc char[Format.MaxHexChars];
        return new string(buffer, 0, Format.Hex(buffer, value, minDigits));
    }

    [TestCase(0L)]
    [TestCase(7L)]
    [TestCase(-1L)]
    [TestCase(1234567890123L)]
    [TestCase(long.MaxValue)]
    [TestCase(long.MinValue)]
    public void Decimal_matches_the_BCL(long value) => Assert.That(Decimal(value), Is.EqualTo(value.ToString()));

    [Test]
    public void Unsigned_decimal_covers_the_full_range()
    {
        char* buffer = stackalloc char[Format.MaxDecimalChars];
        Assert.That(new string(buffer, 0, Format.Decimal(buffer, ulong.MaxValue)), Is.EqualTo("18446744073709551615"));
    }

    [TestCase(0UL, 1, "0")]
    [TestCase(0xABCUL, 1, "abc")]
    [TestCase(0xABCUL, 8, "00000abc")]
    [TestCase(ulong.MaxValue, 4, "ffffffffffffffff")]
    [TestCase(1UL, 99, "0000000000000001")]
    public void Hex_pads_to_the_minimum(ulong value, int digits, string expected) => Assert.That(Hex(value, digits), Is.EqualTo(expected));

    [TestCase("0", true, 0UL)]
    [TestCase("42", true, 42UL)]
    [TestCase("0x2A", true, 42UL)]
    [TestCase("0XfF", true, 255UL)]
    [TestCase("18446744073709551615", true, ulong.MaxValue)]
    [TestCase("0xFFFFFFFFFFFFFFFF", true, ulong.MaxValue)]
    [TestCase("18446744073709551616", false, 0UL)]
    [TestCase("0x10000000000000000", false, 0UL)]
    [TestCase("", false, 0UL)]
    [TestCase("0x", false, 0UL)]
    [TestCase("-1", false, 0UL)]
    [TestCase("12abc", false, 0UL)]
    [TestCase("abc", false, 0UL)]
    public void Parsing_accepts_decimal_and_hex_and_rejects_the_rest(string text, bool ok, ulong expected)
    {
        Assert.That(Format.TryParseUnsigned(text, out ulong value), Is.EqualTo(ok));
        if (ok) Assert.That(value, Is.EqualTo(expected));
    }

    [Test]
    public void TextBuffer_truncates_with_a_mark()
    {
        var text = new TextBuffer();
        text.Append(new string('x', TextBuffer.Capacity + 5));
        Assert.That(text.Truncated, Is.True);
        Assert.That(text.ToString(), Is.EqualTo(new string('x', TextBuffer.Capacity) + "~"));
    }

    [Test]
    public void TextBuffer_formats_like_the_log_does()
    {
        var text = new TextBuffer();
        text.AppendPadded(12, 5);
        text.Append('|');
        text.AppendPadded(345, 6, '0');
        text.Append('|');
        text.AppendFormatted(0x1F, "x4");
        text.Append('|');
        text.AppendFormatted(7, "d3");
        text.Append('|');
        text.AppendDecimal(-5L);
        Assert.That(text.ToString(), Is.EqualTo("   12|000345|001f|007|-5"));
        Assert.That(text.Contains("001f"), Is.True);
        Assert.That(text.Contains("001g"), Is.False);
    }

    [Test]
    public void TextBuffer_takes_interpolated_tables_through_the_log_handler()
    {
        var text = new TextBuffer();
        ulong ticks = 42;
        int cpu = 3;
        text.Append($"{cpu:3}{ticks:6}|{ticks:x}|{ticks:d4} ");
        text.Append("ab");
        text.PadTo(23);
        text.Append('|');
        text.PadTo(5);
        Assert.That(text.ToString(), Is.EqualTo("  3    42|2a|0042 ab   |"));
    }

    [Test]
    public void TextBuffer_pads_no_further_than_its_capacity()
    {
        var text = new TextBuffer();
        text.PadTo(TextBuffer.Capacity + 10);
        Assert.That(text.Length, Is.EqualTo(TextBuffer.Capacity));
        Assert.That(text.Truncated, Is.False);
    }
}

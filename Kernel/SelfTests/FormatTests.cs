using Kernel.Lib;
using Kernel.Testing;

namespace Kernel.SelfTests
{
    /// <summary>Integer and string formatting as compiled by ilc (the host tests cover the same code under the CLR).</summary>
    [SelfTestSuite("format")]
    public static unsafe class FormatTests
    {
        [SelfTest]
        public static void DecimalExtremes()
        {
            Assert.Equal("0", 0.ToString(), "zero");
            Assert.Equal("-2147483648", int.MinValue.ToString(), "int.MinValue");
            Assert.Equal("-9223372036854775808", long.MinValue.ToString(), "long.MinValue");
            Assert.Equal("18446744073709551615", ulong.MaxValue.ToString(), "ulong.MaxValue");
        }

        [SelfTest]
        public static void HexPadding()
        {
            var text = new TextBuffer();
            text.AppendHex(0xBEEF, 8);
            text.Append(' ');
            text.AppendHex(0xFFFF_FFFF_FFFF_FFFF);
            text.Append(' ');
            text.AppendHex(0);
            Assert.Equal("0000beef ffffffffffffffff 0", text.ToString(), "hex");
        }

        [SelfTest]
        public static void InterpolatedLogLine()
        {
            var line = new LogLine(0, 0);
            ulong address = 0x1000;
            line.AppendLiteral("at 0x");
            line.AppendFormatted(address, "x8");
            line.AppendLiteral(" n=");
            line.AppendFormatted(-42);
            line.AppendLiteral(" ok=");
            line.AppendFormatted(true);
            var text = new TextBuffer();
            line.AppendTo(ref text);
            Assert.Equal("at 0x00001000 n=-42 ok=true", text.ToString(), "interpolation");
        }

        [SelfTest]
        public static void TruncationIsMarked()
        {
            var text = new TextBuffer();
            for (int i = 0; i < TextBuffer.Capacity + 10; i++) text.Append('a');
            Assert.True(text.Truncated, "overflow recorded");
            string result = text.ToString();
            Assert.Equal((ulong)TextBuffer.Capacity + 1, (ulong)result.Length, "capacity plus the mark");
            Assert.True(result[TextBuffer.Capacity] == '~', "ends with the truncation mark");
        }

        [SelfTest]
        public static void StringOperations()
        {
            string joined = string.Concat("ab", "cd", "ef");
            Assert.Equal("abcdef", joined, "concat");
            Assert.Equal("cd", joined.Substring(2, 2), "substring");
            Assert.Equal(3ul, (ulong)joined.IndexOf('d'), "index of");
            Assert.True(joined.StartsWith("abc") && joined.EndsWith("ef") && joined.Contains("bcd"), "prefix, suffix, contains");
            Assert.True("x" + 5 == "x5", "concat with an int");
            Assert.Equal((ulong)(uint)"abc".GetHashCode(), (ulong)(uint)string.Concat("a", "bc").GetHashCode(), "equal strings hash alike");
        }

        [SelfTest]
        public static void ParseNumbers()
        {
            Assert.True(Format.TryParseUnsigned("0x1F", out ulong hex) && hex == 31, "hex");
            Assert.True(Format.TryParseUnsigned("18446744073709551615", out ulong max) && max == ulong.MaxValue, "max");
            Assert.False(Format.TryParseUnsigned("18446744073709551616", out _), "overflow rejected");
            Assert.False(Format.TryParseUnsigned("12a", out _), "junk rejected");
            Assert.False(Format.TryParseUnsigned("", out _), "empty rejected");
        }
    }
}

using Kernel.Testing;

namespace Kernel.SelfTests
{
    [SelfTestSuite("cmdline")]
    public static class CommandLineTests
    {
        [SelfTest]
        public static void ValuesFlagsAndWarnings()
        {
            var options = CommandLine.Parse("  selftest=heap loglevel=debug bogus=1 test.fail=yes loglevel ");
            Assert.True(options.TryGetValue("selftest", out string filter) && filter == "heap", "value option");
            Assert.True(options.TryGetValue("loglevel", out string level) && level == "debug", "a bad later word does not override");
            Assert.False(options.Has("bogus"), "unknown option dropped");
            Assert.Equal(3ul, (ulong)options.Warnings.Length, "one warning per bad word");
            Assert.Contains(options.Warnings[0], "'bogus'", "the warning names the option");
        }

        [SelfTest]
        public static void OptionalValue()
        {
            var options = CommandLine.Parse("selftest");
            Assert.True(options.TryGetValue("selftest", out string filter) && filter == null, "present without a value");
            Assert.Equal(0ul, (ulong)options.Warnings.Length, "no warnings");
        }
    }
}

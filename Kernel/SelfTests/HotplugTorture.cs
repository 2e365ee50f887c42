using Kernel.Arch;
using Kernel.Lib;
using Kernel.SelfTest;
using Kernel.Smp;

namespace Kernel.SelfTests
{
    /// <summary>
    /// Hot-plug torture: `torture.transitions` random CPU downs and ups (default 10; e.g.
    /// `selftest=hotplug-torture torture.transitions=10000` for a long run), each followed by the invariants:
    /// locks exact under load, every online CPU answers a call, alternatives mode matching the CPU count and
    /// the text exact. Ends with every CPU back online.
    /// </summary>
    [SelfTestSuite("hotplug-torture")]
    public static unsafe class HotplugTorture
    {
        [SelfTest]
        public static void RandomTransitionsKeepEveryInvariant()
        {
            if (Cpus.Count == 1) Assert.Skip("one CPU: nothing to take down");
            ulong transitions = 10;
            if (KernelMain.Options.TryGetValue("torture.transitions", out string text) && !(Format.TryParseUnsigned(text, out transitions) && transitions > 0))
                Assert.Fail("torture.transitions must be a positive count");

            ulong random = Tsc.Read() | 1;
            ulong start = Tsc.Read();
            for (ulong i = 0; i < transitions; i++)
            {
                random ^= random << 13;
                random ^= random >> 7;
                random ^= random << 17;
                int cpu = 1 + (int)(random % (ulong)(Cpus.Count - 1));
                bool online = Cpus.Get(cpu)->CpuState == CpuState.Online;
                HotplugResult result = online ? CpuHotplug.CpuDown(cpu) : CpuHotplug.CpuUp(cpu);
                Assert.True(result == HotplugResult.Done, online ? "down" : "up");
                HotplugTests.CheckInvariants();
                if (Alternatives.Mode != AlternativesMode.Off) Assert.EqualHex(0, Alternatives.FindMismatch(), "text exact after the transition");
            }
            for (int cpu = 1; cpu < Cpus.Count; cpu++)
                if (Cpus.Get(cpu)->CpuState != CpuState.Online) Assert.True(CpuHotplug.CpuUp(cpu) == HotplugResult.Done, "everyone back");

            ulong millis = Tsc.ToMicroseconds(Tsc.Read() - start) / 1000;
            SelfTestRunner.Note(new TextBuilder().Append(transitions).Append(" transitions on ").Append((ulong)Cpus.Count)
                .Append(" CPUs in ").Append(millis).Append(" ms, 0 violations").ToString());
        }
    }
}

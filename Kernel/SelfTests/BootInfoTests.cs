using Kernel.Testing;
using Kernel.Arch;

namespace Kernel.SelfTests
{
    /// <summary>What the kernel learned from the loader, and the parser's behaviour on broken input.</summary>
    [SelfTestSuite("bootinfo")]
    public static unsafe class BootInfoTests
    {
        [SelfTest]
        public static void MemoryMapHasUsableRam()
        {
            ulong available = 0;
            var map = KernelMain.BootInfo.MemoryMap;
            for (int i = 0; i < map.Length; i++)
                if (map[i].Type == MemoryType.Available && map[i].Base >= 0x10_0000) available += map[i].Length;
            Assert.True(available >= 32 * 1024 * 1024, "at least 32 MiB of RAM above 1 MiB");
        }

        [SelfTest]
        public static void CommandLineReachedTheKernel()
        {
            if (Shell.ShellProcess.Endpoint != Proc.Endpoint.None) Assert.Skip("run from the shell: no selftest option to find");
            Assert.Contains(KernelMain.Options.Text, "selftest", "the selftest option is on the command line");
        }

        [SelfTest]
        public static void AcpiRootPointerWasCopied()
        {
            byte[] rsdp = KernelMain.BootInfo.RsdpV2 ?? KernelMain.BootInfo.RsdpV1;
            Assert.True(rsdp != null && rsdp.Length >= 20, "GRUB passed an RSDP tag");
            string signature = string.Concat(string.FromChar((char)rsdp[0]), string.FromChar((char)rsdp[1]), string.FromChar((char)rsdp[2]), string.FromChar((char)rsdp[3]));
            Assert.Equal("RSD ", signature, "RSDP signature");
        }

        [SelfTest]
        public static void SymbolMapModuleLoaded() =>
            Assert.True(SymbolMap.Count > 100, "the symbols module was loaded and indexed");

        [SelfTest]
        public static void TruncatedInformationIsRejected()
        {
            byte* info = stackalloc byte[32];
            *(uint*)info = 32;
            *(uint*)(info + 8) = 1;       // a command-line tag claiming more bytes than remain
            *(uint*)(info + 12) = 64;
            Assert.True(Multiboot2.Parse(info, out string error) == null, "parse fails");
            Assert.Contains(error, "runs past", "error names the problem");
        }
    }
}

namespace Kernel.Arch
{
    /// <summary>
    /// QEMU's firmware configuration device (QEMU docs/specs/fw_cfg.rst), through its x86 I/O ports.
    /// The kernel reads one file from it: extra kernel options a test or `build.sh run --cmdline`
    /// passes with `-fw_cfg name=opt/kernel/cmdline,string=...`, so one ISO serves every boot.
    /// Probed only under a hypervisor, and only trusted after the "QEMU" signature.
    /// </summary>
    public static unsafe class QemuFwCfg
    {
        private const ushort SelectorPort = 0x510;     // 16-bit, write
        private const ushort DataPort = 0x511;         // 8-bit, read
        private const ushort SignatureKey = 0x0000;
        private const ushort FileDirectoryKey = 0x0019;
        private const int FileNameLength = 56;
        private const uint MaxFileCount = 4096;
        private const uint MaxCommandLineLength = 4096;

        public const string CommandLineFile = "opt/kernel/cmdline";

        /// <summary>True when running under QEMU (its fw_cfg device answers with its signature).</summary>
        public static bool Present => Cpuid.UnderHypervisor && HasSignature();

        /// <summary>The contents of opt/kernel/cmdline, or null when there is no such file or no fw_cfg.</summary>
        public static string ReadCommandLine()
        {
            if (!Present) return null;
            if (!FindFile(CommandLineFile, out ushort key, out uint size) || size > MaxCommandLineLength) return null;
            CpuNative.OutW(SelectorPort, key);
            char* text = stackalloc char[(int)size];
            int length = 0;
            for (uint i = 0; i < size; i++)
            {
                byte b = CpuNative.InB(DataPort);
                if (b != 0) text[length++] = (char)b;
            }
            return new string(text, 0, length);
        }

        private static bool HasSignature()
        {
            CpuNative.OutW(SelectorPort, SignatureKey);
            return CpuNative.InB(DataPort) == 'Q' && CpuNative.InB(DataPort) == 'E' && CpuNative.InB(DataPort) == 'M' && CpuNative.InB(DataPort) == 'U';
        }

        // The directory: a big-endian count, then {u32 size, u16 select, u16 reserved, char name[56]} per file.
        private static bool FindFile(string name, out ushort key, out uint size)
        {
            key = 0;
            size = 0;
            CpuNative.OutW(SelectorPort, FileDirectoryKey);
            uint count = ReadBigEndian32();
            if (count > MaxFileCount) return false;
            byte* entryName = stackalloc byte[FileNameLength];
            for (uint i = 0; i < count; i++)
            {
                uint fileSize = ReadBigEndian32();
                ushort select = (ushort)((CpuNative.InB(DataPort) << 8) | CpuNative.InB(DataPort));
                CpuNative.InB(DataPort);
                CpuNative.InB(DataPort);
                for (int j = 0; j < FileNameLength; j++) entryName[j] = CpuNative.InB(DataPort);
                if (NameEquals(entryName, name))
                {
                    key = select;
                    size = fileSize;
                    return true;
                }
            }
            return false;
        }

        private static uint ReadBigEndian32()
        {
            uint value = 0;
            for (int i = 0; i < 4; i++) value = (value << 8) | CpuNative.InB(DataPort);
            return value;
        }

        private static bool NameEquals(byte* entry, string name)
        {
            if (name.Length >= FileNameLength) return false;
            for (int i = 0; i < name.Length; i++)
                if (entry[i] != name[i]) return false;
            return entry[name.Length] == 0;
        }
    }
}

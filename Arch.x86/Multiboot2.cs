namespace Kernel.Arch
{
    public enum MemoryType : uint
    {
        // Multiboot2 spec §3.6.8 "Memory map": the types follow ACPI's address range types.
        Available = 1, Reserved = 2, AcpiReclaimable = 3, AcpiNvs = 4, BadRam = 5,
    }

    public struct MemoryRegion
    {
        public ulong Base, Length;
        public MemoryType Type;
        public ulong End => Base + Length;
    }

    public struct BootModule
    {
        public ulong Start, End;
        public string Name;
    }

    public enum FramebufferType : byte { Indexed = 0, Rgb = 1, EgaText = 2 }   // spec §3.6.12 framebuffer_type

    public struct FramebufferInfo
    {
        public ulong Address;
        public uint Pitch, Width, Height;   // EGA text: width and height in characters
        public byte BitsPerPixel;
        public FramebufferType Type;
        public byte RedPosition, RedSize, GreenPosition, GreenSize, BluePosition, BlueSize;   // RGB only
    }

    /// <summary>
    /// Everything the kernel keeps from the multiboot2 information, copied out of the loader's memory
    /// (which lies in low memory the kernel will reuse: at 0x6000 under OVMF).
    /// </summary>
    public sealed class BootInfo
    {
        public ulong InfoAddress, InfoSize;
        public string CommandLine = "";
        public string BootloaderName = "";
        public MemoryRegion[] MemoryMap = new MemoryRegion[0];
        public BootModule[] Modules = new BootModule[0];
        public byte[] RsdpV1;              // tag 14: ACPI 1.0 RSDP copy
        public byte[] RsdpV2;              // tag 15: ACPI 2.0+ RSDP copy
        public bool HasFramebuffer;
        public FramebufferInfo Framebuffer;
        public bool HasEfiSystemTable;     // tag 12: booted through UEFI
    }

    /// <summary>
    /// Parses the multiboot2 boot information (Multiboot2 spec §3.6 "Boot information format"):
    /// a {total_size, reserved} header, then 8-byte-aligned tags {type, size, ...} ending with type 0.
    /// Every read is bounds-checked against total_size; a malformed structure yields an error
    /// message instead of a read past the end. Pure: compiled by the host tests too.
    /// </summary>
    public static unsafe class Multiboot2
    {
        private const uint TagEnd = 0, TagCommandLine = 1, TagBootloaderName = 2, TagModule = 3, TagMemoryMap = 6,
                           TagFramebuffer = 8, TagEfi64SystemTable = 12, TagAcpiOld = 14, TagAcpiNew = 15;
        private const uint HeaderSize = 8, TagHeaderSize = 8;
        private const uint MaxInfoSize = 1024 * 1024;

        public static BootInfo Parse(byte* info, out string error)
        {
            error = null;
            var result = new BootInfo { InfoAddress = (ulong)info };
            uint total = *(uint*)info;
            if (total < HeaderSize + TagHeaderSize || total > MaxInfoSize)
            {
                error = "multiboot2 information has an implausible total size";
                return null;
            }
            result.InfoSize = total;

            uint offset = HeaderSize;
            while (true)
            {
                if (offset + TagHeaderSize > total) { error = "multiboot2 information ends without an end tag"; return null; }
                uint type = *(uint*)(info + offset);
                uint size = *(uint*)(info + offset + 4);
                if (size < TagHeaderSize || size > total - offset) { error = "multiboot2 tag runs past the information"; return null; }
                if (type == TagEnd) break;

                byte* tag = info + offset;
                switch (type)
                {
                    case TagCommandLine: result.CommandLine = CString(tag + 8, size - 8); break;
                    case TagBootloaderName: result.BootloaderName = CString(tag + 8, size - 8); break;
                    case TagModule: if (!AddModule(result, tag, size)) { error = "multiboot2 module tag is too short"; return null; } break;
                    case TagMemoryMap: if (!ParseMemoryMap(result, tag, size)) { error = "multiboot2 memory map is malformed"; return null; } break;
                    case TagFramebuffer: ParseFramebuffer(result, tag, size); break;
                    case TagEfi64SystemTable: result.HasEfiSystemTable = true; break;
                    case TagAcpiOld: result.RsdpV1 = Copy(tag + 8, size - 8); break;
                    case TagAcpiNew: result.RsdpV2 = Copy(tag + 8, size - 8); break;
                }
                offset += (size + 7) & ~7u;
            }
            return result;
        }

        // §3.6.8: entry_size, entry_version, then entries of entry_size bytes {base_addr, length, type, reserved}.
        private static bool ParseMemoryMap(BootInfo result, byte* tag, uint size)
        {
            if (size < 16) return false;
            uint entrySize = *(uint*)(tag + 8);
            if (entrySize < 24 || entrySize % 8 != 0) return false;
            uint count = (size - 16) / entrySize;
            var regions = new MemoryRegion[count];
            for (uint i = 0; i < count; i++)
            {
                byte* entry = tag + 16 + i * entrySize;
                regions[i].Base = *(ulong*)entry;
                regions[i].Length = *(ulong*)(entry + 8);
                regions[i].Type = (MemoryType)(*(uint*)(entry + 16));
            }
            result.MemoryMap = regions;
            return true;
        }

        // §3.6.6: mod_start, mod_end, then the module's command line (GRUB: the words after the path).
        private static bool AddModule(BootInfo result, byte* tag, uint size)
        {
            if (size < 16) return false;
            var module = new BootModule
            {
                Start = *(uint*)(tag + 8),
                End = *(uint*)(tag + 12),
                Name = CString(tag + 16, size - 16),
            };
            var modules = new BootModule[result.Modules.Length + 1];
            for (int i = 0; i < result.Modules.Length; i++) modules[i] = result.Modules[i];
            modules[result.Modules.Length] = module;
            result.Modules = modules;
            return true;
        }

        // §3.6.12: framebuffer_addr (u64), pitch, width, height (u32), bpp (u8), type (u8), reserved, then color_info.
        // The spec's own multiboot2.h (struct multiboot_tag_framebuffer_common), which GRUB fills, makes reserved 16 bits
        // wide, so color_info starts at byte 32; for RGB it is {position, mask size} for red, green and blue.
        // A tag too short for its type's color_info is ignored: no screen is better than a wrong one.
        private const uint FramebufferCommonSize = 32, RgbColorInfoSize = 6;

        private static void ParseFramebuffer(BootInfo result, byte* tag, uint size)
        {
            if (size < FramebufferCommonSize) return;
            var framebuffer = new FramebufferInfo
            {
                Address = *(ulong*)(tag + 8),
                Pitch = *(uint*)(tag + 16),
                Width = *(uint*)(tag + 20),
                Height = *(uint*)(tag + 24),
                BitsPerPixel = tag[28],
                Type = (FramebufferType)tag[29],
            };
            if (framebuffer.Type == FramebufferType.Rgb)
            {
                if (size < FramebufferCommonSize + RgbColorInfoSize) return;
                byte* color = tag + FramebufferCommonSize;
                framebuffer.RedPosition = color[0];
                framebuffer.RedSize = color[1];
                framebuffer.GreenPosition = color[2];
                framebuffer.GreenSize = color[3];
                framebuffer.BluePosition = color[4];
                framebuffer.BlueSize = color[5];
            }
            result.HasFramebuffer = true;
            result.Framebuffer = framebuffer;
        }

        private static string CString(byte* text, uint capacity)
        {
            int length = 0;
            while (length < capacity && text[length] != 0) length++;
            return new string((sbyte*)text, 0, length);
        }

        private static byte[] Copy(byte* source, uint length)
        {
            var copy = new byte[length];
            for (uint i = 0; i < length; i++) copy[i] = source[i];
            return copy;
        }
    }
}

using System.Buffers.Binary;
using NUnit.Framework;
using Kernel.Arch;

namespace Kernel.Tests.Unit;

/// <summary>The multiboot2 parser on information blocks built here tag by tag (Multiboot2 spec §3.6).</summary>
public unsafe class Multiboot2Tests
{
    private sealed class InfoBuilder
    {
        private readonly List<byte> _bytes = new(new byte[8]);

        public InfoBuilder Tag(uint type, byte[] payload)
        {
            var tag = new byte[8 + payload.Length];
            BinaryPrimitives.WriteUInt32LittleEndian(tag, type);
            BinaryPrimitives.WriteUInt32LittleEndian(tag.AsSpan(4), (uint)tag.Length);
            payload.CopyTo(tag, 8);
            _bytes.AddRange(tag);
            while (_bytes.Count % 8 != 0) _bytes.Add(0);
            return this;
        }

        public InfoBuilder Text(uint type, string text) => Tag(type, [.. System.Text.Encoding.ASCII.GetBytes(text), 0]);

        public byte[] Build(bool endTag = true)
        {
            if (endTag) Tag(0, []);
            var result = _bytes.ToArray();
            BinaryPrimitives.WriteUInt32LittleEndian(result, (uint)result.Length);
            return result;
        }
    }

    private static byte[] MemoryMap(params (ulong Base, ulong Length, uint Type)[] regions)
    {
        var payload = new byte[8 + regions.Length * 24];
        BinaryPrimitives.WriteUInt32LittleEndian(payload, 24);
        for (int i = 0; i < regions.Length; i++)
        {
            var entry = payload.AsSpan(8 + i * 24);
            BinaryPrimitives.WriteUInt64LittleEndian(entry, regions[i].Base);
            BinaryPrimitives.WriteUInt64LittleEndian(entry[8..], regions[i].Length);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[16..], regions[i].Type);
        }
        return payload;
    }

    // Tag 8's payload as GRUB writes it (the spec's multiboot2.h): the common part with a 16-bit reserved field, then color_info.
    private static byte[] Framebuffer(ulong address, uint pitch, uint width, uint height, byte bpp, FramebufferType type, byte[] colorInfo)
    {
        var payload = new byte[24 + colorInfo.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(payload, address);
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(8), pitch);
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(12), width);
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(16), height);
        payload[20] = bpp;
        payload[21] = (byte)type;
        colorInfo.CopyTo(payload, 24);
        return payload;
    }

    private static BootInfo? Parse(byte[] info, out string? error)
    {
        fixed (byte* p = info) return Multiboot2.Parse(p, out error);
    }

    [Test]
    public void A_typical_GRUB_block_is_parsed_completely()
    {
        var module = new byte[8 + 8];
        BinaryPrimitives.WriteUInt32LittleEndian(module, 0x20_0000);
        BinaryPrimitives.WriteUInt32LittleEndian(module.AsSpan(4), 0x20_1000);
        "symbols\0"u8.CopyTo(module.AsSpan(8));
        var framebuffer = Framebuffer(0x8000_0000, 3200, 800, 600, 32, FramebufferType.Rgb, [16, 8, 8, 8, 0, 8]);
        byte[] rsdp = [.. "RSD PTR "u8, .. new byte[12]];

        var info = new InfoBuilder()
            .Text(1, "selftest loglevel=debug")
            .Text(2, "GRUB 2.06")
            .Tag(3, module)
            .Tag(6, MemoryMap((0, 0x9FC00, 1), (0x9FC00, 0x400, 2), (0x10_0000, 0x7F0_0000, 1), (0x7FF_0000, 0x1_0000, 3)))
            .Tag(8, framebuffer)
            .Tag(12, new byte[8])
            .Tag(14, rsdp)
            .Build();

        var boot = Parse(info, out var error);
        Assert.That(error, Is.Null);
        Assert.That(boot, Is.Not.Null);
        Assert.That(boot!.CommandLine, Is.EqualTo("selftest loglevel=debug"));
        Assert.That(boot.BootloaderName, Is.EqualTo("GRUB 2.06"));
        Assert.That(boot.Modules, Has.Length.EqualTo(1));
        Assert.That(boot.Modules[0].Name, Is.EqualTo("symbols"));
        Assert.That(boot.Modules[0].End - boot.Modules[0].Start, Is.EqualTo(0x1000));
        Assert.That(boot.MemoryMap.Select(r => (r.Base, r.Length, r.Type)), Is.EqualTo(new[]
        {
            (0UL, 0x9FC00UL, MemoryType.Available), (0x9FC00UL, 0x400UL, MemoryType.Reserved),
            (0x10_0000UL, 0x7F0_0000UL, MemoryType.Available), (0x7FF_0000UL, 0x1_0000UL, MemoryType.AcpiReclaimable),
        }));
        Assert.That(boot.HasFramebuffer, Is.True);
        Assert.That((boot.Framebuffer.Address, boot.Framebuffer.Width, boot.Framebuffer.Height, boot.Framebuffer.BitsPerPixel), Is.EqualTo((0x8000_0000UL, 800u, 600u, (byte)32)));
        Assert.That(boot.HasEfiSystemTable, Is.True);
        Assert.That(boot.RsdpV1, Is.EqualTo(rsdp));
        Assert.That(boot.RsdpV2, Is.Null);
        Assert.That(boot.InfoSize, Is.EqualTo((ulong)info.Length));
    }

    [Test]
    public void Unknown_tags_are_skipped_by_their_size()
    {
        var info = new InfoBuilder().Tag(99, new byte[13]).Text(1, "nosmp").Build();
        Assert.That(Parse(info, out _)!.CommandLine, Is.EqualTo("nosmp"));
    }

    [Test]
    public void A_missing_end_tag_is_an_error()
    {
        Assert.That(Parse(new InfoBuilder().Text(1, "x").Build(endTag: false), out var error), Is.Null);
        Assert.That(error, Does.Contain("without an end tag"));
    }

    [TestCase(0u, "implausible total size")]
    [TestCase(4u, "implausible total size")]
    [TestCase(0x7FFF_FFFFu, "implausible total size")]
    public void An_implausible_total_size_is_an_error(uint total, string message)
    {
        var info = new InfoBuilder().Build();
        BinaryPrimitives.WriteUInt32LittleEndian(info, total);
        Assert.That(Parse(info, out var error), Is.Null);
        Assert.That(error, Does.Contain(message));
    }

    [TestCase(0u)]
    [TestCase(4u)]
    [TestCase(1000u)]
    public void A_tag_size_that_lies_is_an_error(uint size)
    {
        var info = new InfoBuilder().Text(1, "abc").Build();
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(12), size);
        Assert.That(Parse(info, out var error), Is.Null);
        Assert.That(error, Is.Not.Null);
    }

    [Test]
    public void A_memory_map_with_a_bad_entry_size_is_an_error()
    {
        var map = MemoryMap((0, 0x1000, 1));
        BinaryPrimitives.WriteUInt32LittleEndian(map, 20);
        Assert.That(Parse(new InfoBuilder().Tag(6, map).Build(), out var error), Is.Null);
        Assert.That(error, Does.Contain("memory map"));
    }

    [Test]
    public void Random_corruption_never_escapes_as_an_exception()
    {
        var random = new Random(1234);
        var original = new InfoBuilder().Text(1, "selftest").Tag(6, MemoryMap((0, 0x9FC00, 1), (0x10_0000, 0x100_0000, 1))).Text(2, "GRUB").Build();
        for (int iteration = 0; iteration < 20_000; iteration++)
        {
            var mutated = (byte[])original.Clone();
            for (int flips = random.Next(1, 6); flips > 0; flips--)
                mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            BinaryPrimitives.WriteUInt32LittleEndian(mutated, Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(mutated), (uint)mutated.Length));
            var boot = Parse(mutated, out var error);
            Assert.That(boot is null ^ error is null, Is.True, "either a result or an error");
        }
    }

    [Test]
    public void An_RGB_framebuffer_brings_its_channel_layout()
    {
        // OVMF's GOP through GRUB 2.06: 800x600, 24 bits per pixel, blue in the lowest byte.
        var info = new InfoBuilder().Tag(8, Framebuffer(0xC000_0000, 2400, 800, 600, 24, FramebufferType.Rgb, [16, 8, 8, 8, 0, 8])).Build();
        var framebuffer = Parse(info, out _)!.Framebuffer;
        Assert.That((framebuffer.Type, framebuffer.Pitch, framebuffer.BitsPerPixel), Is.EqualTo((FramebufferType.Rgb, 2400u, (byte)24)));
        Assert.That((framebuffer.RedPosition, framebuffer.RedSize, framebuffer.GreenPosition, framebuffer.GreenSize, framebuffer.BluePosition, framebuffer.BlueSize),
                    Is.EqualTo(((byte)16, (byte)8, (byte)8, (byte)8, (byte)0, (byte)8)));
    }

    [Test]
    public void An_EGA_text_framebuffer_counts_characters()
    {
        // SeaBIOS through GRUB: the text mode GRUB leaves when the kernel asks for no framebuffer.
        var info = new InfoBuilder().Tag(8, Framebuffer(0xB8000, 160, 80, 25, 16, FramebufferType.EgaText, [])).Build();
        var boot = Parse(info, out _)!;
        Assert.That(boot.HasFramebuffer, Is.True);
        Assert.That((boot.Framebuffer.Type, boot.Framebuffer.Address, boot.Framebuffer.Width, boot.Framebuffer.Height), Is.EqualTo((FramebufferType.EgaText, 0xB8000UL, 80u, 25u)));
    }

    [Test]
    public void An_RGB_framebuffer_tag_without_its_channel_layout_is_ignored()
    {
        var info = new InfoBuilder().Tag(8, Framebuffer(0x8000_0000, 3200, 800, 600, 32, FramebufferType.Rgb, [])).Text(1, "after").Build();
        var boot = Parse(info, out var error)!;
        Assert.That(error, Is.Null);
        Assert.That(boot.HasFramebuffer, Is.False);
        Assert.That(boot.CommandLine, Is.EqualTo("after"), "parsing goes on past the short tag");
    }

    [Test]
    public void A_framebuffer_tag_shorter_than_its_common_part_is_ignored()
    {
        var info = new InfoBuilder().Tag(8, new byte[20]).Build();
        Assert.That(Parse(info, out _)!.HasFramebuffer, Is.False);
    }
}

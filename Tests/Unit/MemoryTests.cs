using NUnit.Framework;

namespace Kernel.Tests.Unit;

public unsafe class MemoryTests
{
    [Test]
    public void Move_handles_overlap_in_both_directions([Values(0, 1, 3, 8, 13)] int shift)
    {
        byte[] expected = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();
        byte[] forward = (byte[])expected.Clone();
        byte[] backward = (byte[])expected.Clone();
        fixed (byte* f = forward) Lib.Memory.Move(f + shift, f, 40);
        fixed (byte* b = backward) Lib.Memory.Move(b, b + shift, 40);
        byte[] refForward = (byte[])expected.Clone();
        Array.Copy(refForward, 0, refForward, shift, 40);
        byte[] refBackward = (byte[])expected.Clone();
        Array.Copy(refBackward, shift, refBackward, 0, 40);
        Assert.That(forward, Is.EqualTo(refForward));
        Assert.That(backward, Is.EqualTo(refBackward));
    }

    [Test]
    public void Zero_clears_unaligned_ranges_exactly([Values(0, 1, 7)] int start, [Values(0, 1, 9, 31)] int length)
    {
        byte[] data = Enumerable.Repeat((byte)0xFF, 48).ToArray();
        fixed (byte* p = data) Lib.Memory.Zero(p + start, (nuint)length);
        for (int i = 0; i < data.Length; i++)
            Assert.That(data[i], Is.EqualTo(i >= start && i < start + length ? 0 : 0xFF), $"byte {i}");
    }
}

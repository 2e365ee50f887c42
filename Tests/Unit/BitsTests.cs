using Kernel.Lib;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

public class BitsTests
{
    [Test]
    public void LowestSet_and_Count_agree_with_the_framework_for_every_single_bit_and_random_words()
    {
        var random = new Random(5);
        var words = Enumerable.Range(0, 64).Select(bit => 1UL << bit)
            .Concat(Enumerable.Range(0, 2000).Select(_ => (ulong)random.NextInt64() | (random.Next(2) == 0 ? 0 : 1UL << 63)))
            .Where(word => word != 0);
        foreach (var word in words)
        {
            Assert.That(Bits.LowestSet(word), Is.EqualTo(System.Numerics.BitOperations.TrailingZeroCount(word)), $"0x{word:x}");
            Assert.That(Bits.Count(word), Is.EqualTo(System.Numerics.BitOperations.PopCount(word)), $"0x{word:x}");
        }
        Assert.That(Bits.Count(0), Is.Zero);
        Assert.That(Bits.Count(ulong.MaxValue), Is.EqualTo(64));
    }
}

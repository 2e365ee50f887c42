using Kernel.Testing;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>The torture tests' PRNG: Marsaglia's xorshift64 with shifts 13, 7, 17.</summary>
public class XorshiftTests
{
    [Test]
    public void FromOneItGivesMarsagliasSequence()
    {
        var random = new Xorshift(1);
        Assert.That(random.Next(), Is.EqualTo(1082269761UL));
        Assert.That(random.Next(), Is.EqualTo(1152992998833853505UL));
        Assert.That(random.Next(), Is.EqualTo(11177516664432764457UL));
    }

    [Test]
    public void AZeroSeedStillMoves()
    {
        var zero = new Xorshift(0);
        var one = new Xorshift(1);
        Assert.That(zero.Next(), Is.EqualTo(one.Next()));
    }

    [Test]
    public void TheSameSeedRepeatsAndNoValueIsZero()
    {
        var a = new Xorshift(0x9E37_79B9_7F4A_7C15UL);
        var b = new Xorshift(0x9E37_79B9_7F4A_7C15UL);
        for (int i = 0; i < 100_000; i++)
        {
            ulong value = a.Next();
            Assert.That(value, Is.Not.Zero);
            Assert.That(b.Next(), Is.EqualTo(value));
        }
    }
}

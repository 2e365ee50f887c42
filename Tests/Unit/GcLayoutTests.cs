using Internal.Runtime;
using Kernel.Memory;
using Kernel.Runtime;
using Kernel.Tests.Unit.Fakes;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>GcLayout reads ilc's GC layouts: every reference of an object, and nothing else.</summary>
[NonParallelizable]   // SimulatedPages is static
public unsafe class GcLayoutTests
{
    ObjectHeap* _heap;

    [SetUp]
    public void CreateHeap()
    {
        SimulatedPages.Create(64);
        _heap = SimulatedPages.NewHeap(owner: 1);
    }

    [TearDown]
    public void Destroy() => SimulatedPages.Destroy();

    static readonly List<ulong> Seen = [];

    static void Record(ulong value, void* context) => Seen.Add(value);

    static List<ulong> References(byte* obj)
    {
        Seen.Clear();
        GcLayout.ForEachReference(obj, &Record, null);
        return [.. Seen];
    }

    static void Fill(byte* obj, int firstOffset, int words, ulong firstValue)
    {
        for (int i = 0; i < words; i++) *(ulong*)(obj + firstOffset + 8 * i) = firstValue + (ulong)i;
    }

    [Test]
    public void A_class_yields_its_reference_fields_in_order_and_no_others()
    {
        MethodTable* type = FakeTypes.Class(true, false, true, true, false);
        byte* obj = FakeTypes.New(_heap, type);
        Fill(obj, 8, 5, 100);
        Assert.That(References(obj), Is.EqualTo(new ulong[] { 100, 102, 103 }));
        Assert.That(GcLayout.SizeOf(obj), Is.EqualTo(8 + 8 + 5 * 8));
    }

    [Test]
    public void A_class_without_references_yields_none()
    {
        byte* obj = FakeTypes.New(_heap, FakeTypes.Class(false, false));
        Fill(obj, 8, 2, 7);
        Assert.That(References(obj), Is.Empty);
    }

    [TestCase(0u)]
    [TestCase(1u)]
    [TestCase(37u)]
    public void An_array_of_references_yields_every_element(uint length)
    {
        byte* array = FakeTypes.New(_heap, FakeTypes.Array(true), length);
        Fill(array, 16, (int)length, 500);
        Assert.That(References(array), Is.EquivalentTo(Enumerable.Range(0, (int)length).Select(i => 500ul + (ulong)i)));
        Assert.That(GcLayout.SizeOf(array), Is.EqualTo(24 + 8 * length));
    }

    [TestCase(new[] { false, true, false, true, true }, 0u)]
    [TestCase(new[] { false, true, false, true, true }, 6u)]
    [TestCase(new[] { true, false }, 5u)]
    [TestCase(new[] { false, false, true }, 4u)]
    [TestCase(new[] { true, true, false, true }, 3u)]
    public void An_array_of_structs_yields_each_elements_references(bool[] element, uint length)
    {
        byte* array = FakeTypes.New(_heap, FakeTypes.Array(element), length);
        Fill(array, 16, element.Length * (int)length, 1000);
        var expected = new List<ulong>();
        for (int e = 0; e < length; e++)
            for (int f = 0; f < element.Length; f++)
                if (element[f]) expected.Add(1000ul + (ulong)(e * element.Length + f));
        Assert.That(References(array), Is.EquivalentTo(expected));
    }

    [Test]
    public void A_string_has_elements_but_no_references()
    {
        byte* text = FakeTypes.New(_heap, FakeTypes.String(), 11);
        Assert.That(References(text), Is.Empty);
        Assert.That(GcLayout.SizeOf(text), Is.EqualTo(8 + 8 + 4 + 2 + 2 * 11));
    }
}

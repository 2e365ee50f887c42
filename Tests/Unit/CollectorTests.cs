using System.Runtime.InteropServices;
using Internal.Runtime;
using Kernel.Memory;
using Kernel.Tests.Unit.Fakes;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>
/// The collector against a simulated heap: random object graphs (objects with references, arrays of references,
/// arrays of structs, strings, large arrays) under a root area of pointers, interior pointers and junk. After every
/// collection exactly what the test finds reachable survives, with its contents intact, and the rest is freed.
/// </summary>
[NonParallelizable]   // SimulatedPages is static
public unsafe class CollectorTests
{
    sealed class Shape(MethodTable* type, int[] referenceOffsets, int[] valueOffsets, int charBytes)
    {
        public MethodTable* Type { get; } = type;
        public int[] ReferenceOffsets { get; } = referenceOffsets;
        public int[] ValueOffsets { get; } = valueOffsets;
        public int CharBytes { get; } = charBytes;
    }

    sealed class Shadow
    {
        public required ulong Obj;
        public required Shape Shape;
        public ulong Checksum;
    }

    const int RootWords = 64;
    ObjectHeap* _heap;
    ulong* _roots;
    readonly Dictionary<ulong, Shadow> _objects = [];
    readonly List<Shadow> _list = [];      // the same objects, to pick from at random
    ulong[] _sorted = [];                  // their addresses in order, to find the cell a root points into
    Random _random = new(1);

    static readonly bool[] NodeFields = [true, false, true];
    static readonly bool[] WideFields = [false, true, true, false, true, false];
    static readonly bool[] StructFields = [false, true, true, false];

    [SetUp]
    public void CreateHeap()
    {
        SimulatedPages.Create(8192);
        _heap = SimulatedPages.NewHeap(1);
        _roots = (ulong*)NativeMemory.AllocZeroed(RootWords * sizeof(ulong));
        _objects.Clear();
        _list.Clear();
    }

    [TearDown]
    public void Destroy()
    {
        NativeMemory.Free(_roots);
        SimulatedPages.Destroy();
    }

    CollectionResult Collect(ObjectHeap* heap)
    {
        var range = stackalloc ulong[2] { (ulong)_roots, (ulong)(_roots + RootWords) };
        return Collector.Collect(heap, SimulatedPages.Source, range, 1);
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void Random_graphs_keep_exactly_what_is_reachable_through_40_collections(int seed)
    {
        _random = new Random(seed);
        ulong collections = 0;
        for (int round = 0; round < 40; round++)
        {
            for (int i = 0; i < 250; i++) Allocate();
            for (int i = 0; i < 200 && _objects.Count > 0; i++) Relink(Any());
            FillRoots();
            var reachable = Reachable();
            ulong reachableBytes = reachable.Aggregate(0ul, (sum, obj) => sum + ObjectHeap.CellSize(obj - 8));

            CollectionResult result = Collect(_heap);
            collections++;

            Assert.That(result.LiveBytes, Is.EqualTo(reachableBytes), $"round {round}: live bytes are the reachable cells'");
            Assert.That(result.MarkedObjects, Is.EqualTo((ulong)reachable.Count));
            foreach (var (obj, shadow) in _objects.ToList())
            {
                if (reachable.Contains(obj))
                {
                    Assert.That(_heap->FindCell(obj), Is.EqualTo(obj - 8), "a reachable object survives");
                    Assert.That(ChecksumOf(shadow), Is.EqualTo(shadow.Checksum), "with its contents intact");
                }
                else
                {
                    Assert.That(_heap->FindCell(obj), Is.Zero, "an unreachable object is freed");
                    _objects.Remove(obj);
                }
            }
            _list.RemoveAll(shadow => !_objects.ContainsKey(shadow.Obj));
            Assert.That(_heap->Pages, Is.EqualTo(SimulatedPages.InUse), "the mark stack's pages went back");
        }
        Assert.That(collections, Is.EqualTo(40ul));
        for (int i = 0; i < RootWords; i++) _roots[i] = 0;
        Assert.That(Collect(_heap).LiveBytes, Is.Zero, "with no roots nothing survives");
        Assert.That(SimulatedPages.InUse, Is.Zero, "and every page went back");
    }

    [Test]
    public void An_interior_pointer_keeps_its_object_and_a_word_into_another_heap_keeps_nothing()
    {
        ObjectHeap* other = SimulatedPages.NewHeap(2);
        MethodTable* node = FakeTypes.Class(NodeFields);
        byte* mine = FakeTypes.New(_heap, node);
        byte* theirs = FakeTypes.New(other, node);
        _roots[0] = (ulong)mine + 20;
        _roots[1] = (ulong)theirs;
        ulong theirBytes = other->BytesInUse;

        CollectionResult result = Collect(_heap);

        Assert.That(result.Roots, Is.EqualTo(1ul), "only the word into this heap is a root");
        Assert.That(_heap->FindCell((ulong)mine), Is.Not.Zero);
        Assert.That(other->FindCell((ulong)theirs), Is.Not.Zero, "the other heap is untouched");
        Assert.That(other->BytesInUse, Is.EqualTo(theirBytes));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void A_raw_pointer_in_a_value_field_keeps_its_target_only_when_every_word_is_read(bool everyWord)
    {
        MethodTable* node = FakeTypes.Class(NodeFields);   // its second field holds a value, not a reference
        byte* holder = FakeTypes.New(_heap, node);
        byte* target = FakeTypes.New(_heap, node);
        *(ulong*)(holder + 16) = (ulong)target + 12;      // an interior pointer, kept as a number
        _roots[0] = (ulong)holder;

        var collection = new Collector.Collection();
        Collector.Begin(&collection, _heap, SimulatedPages.Source, everyWord);
        Collector.MarkRange(&collection, (ulong)_roots, (ulong)(_roots + RootWords));
        Collector.Finish(&collection);

        Assert.That(_heap->FindCell((ulong)holder), Is.Not.Zero, "the root's object stays");
        Assert.That(_heap->FindCell((ulong)target) != 0, Is.EqualTo(everyWord), "the pointed-at object stays only when every word counts");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void A_long_list_survives_whether_or_not_the_mark_stack_finds_pages(bool starve)
    {
        MethodTable* node = FakeTypes.Class(NodeFields);
        int length = starve ? 5_000 : 100_000;
        byte* head = null;
        for (int i = 0; i < length; i++)
        {
            byte* next = FakeTypes.New(_heap, node);
            *(ulong*)(next + 8) = (ulong)head;
            *(ulong*)(next + 24) = (ulong)head;   // both references: each node is reached twice
            *(ulong*)(next + 16) = (ulong)i;
            head = next;
        }
        _roots[5] = (ulong)head;
        if (starve) SimulatedPages.Limit = SimulatedPages.InUse;

        CollectionResult result = Collect(_heap);

        Assert.That(result.MarkStackOverflowed, Is.EqualTo(starve));
        Assert.That(result.MarkedObjects, Is.EqualTo((ulong)length));
        int count = 0;
        for (byte* n = head; n != null; n = (byte*)*(ulong*)(n + 8), count++)
            Assert.That(*(ulong*)(n + 16), Is.EqualTo((ulong)(length - 1 - count)));
        Assert.That(count, Is.EqualTo(length));
        Assert.That(_heap->Pages, Is.EqualTo(SimulatedPages.InUse), "no mark stack page kept");
    }

    // ---- The graph and its shadow ----

    Shape[]? _shapes;

    Shape[] Shapes => _shapes ??=
    [
        ClassShape(NodeFields),
        ClassShape(WideFields),
        ArrayShape([true]),
        ArrayShape(StructFields),
        new Shape(FakeTypes.String(), [], [], 2),
    ];

    static Shape ClassShape(bool[] fields) => new(FakeTypes.Class(fields),
        fields.Select((r, i) => (r, i)).Where(f => f.r).Select(f => 8 + 8 * f.i).ToArray(),
        fields.Select((r, i) => (r, i)).Where(f => !f.r).Select(f => 8 + 8 * f.i).ToArray(), 0);

    static Shape ArrayShape(bool[] element) => new(FakeTypes.Array(element),
        element.Select((r, i) => (r, i)).Where(f => f.r).Select(f => 8 * f.i).ToArray(),
        element.Select((r, i) => (r, i)).Where(f => !f.r).Select(f => 8 * f.i).ToArray(), 0);

    void Allocate()
    {
        Shape shape = Shapes[_random.Next(Shapes.Length)];
        uint length = shape.Type->HasComponentSize ? (uint)(_random.Next(10) == 0 ? _random.Next(250, 700) : _random.Next(0, 24)) : 0;
        byte* obj = FakeTypes.New(_heap, shape.Type, length);
        Assert.That(obj != null, "the simulated memory holds the test's objects");
        var shadow = new Shadow { Obj = (ulong)obj, Shape = shape };
        foreach (int offset in Values(shadow)) *(ulong*)(obj + offset) = (ulong)_random.NextInt64();
        if (shape.CharBytes != 0) _random.NextBytes(new Span<byte>(obj + 12, (int)(length * 2)));
        _objects[(ulong)obj] = shadow;
        _list.Add(shadow);
        Relink(shadow);
    }

    void Relink(Shadow shadow)
    {
        foreach (int offset in References(shadow))
            *(ulong*)(shadow.Obj + (ulong)offset) = _random.Next(4) == 0 ? 0 : Any().Obj;
        shadow.Checksum = ChecksumOf(shadow);
    }

    Shadow Any() => _list[_random.Next(_list.Count)];

    void FillRoots()
    {
        for (int i = 0; i < RootWords; i++)
        {
            int kind = _random.Next(10);
            Shadow target = Any();
            _roots[i] = kind switch
            {
                < 4 => target.Obj,
                < 6 => target.Obj - 8 + (ulong)_random.NextInt64((long)ObjectHeap.CellSize(target.Obj - 8)),   // interior
                < 8 => (ulong)_random.NextInt64(),                                                             // junk
                < 9 => SimulatedPages.Start + (ulong)_random.NextInt64((long)(SimulatedPages.End - SimulatedPages.Start)),
                _ => 0,
            };
        }
    }

    HashSet<ulong> Reachable()
    {
        _sorted = [.. _objects.Keys.Order()];
        var seen = new HashSet<ulong>();
        var pending = new Stack<ulong>();
        for (int i = 0; i < RootWords; i++)
            if (CellOwner(_roots[i]) is { } obj && seen.Add(obj)) pending.Push(obj);
        while (pending.Count > 0)
        {
            Shadow shadow = _objects[pending.Pop()];
            foreach (int offset in References(shadow))
            {
                ulong target = *(ulong*)(shadow.Obj + (ulong)offset);
                if (target != 0 && seen.Add(target)) pending.Push(target);
            }
        }
        return seen;
    }

    ulong? CellOwner(ulong address)
    {
        int index = Array.BinarySearch(_sorted, address + 8);   // the last object whose cell starts at or before the address
        if (index < 0) index = ~index - 1;
        if (index < 0) return null;
        ulong obj = _sorted[index];
        return address < obj - 8 + ObjectHeap.CellSize(obj - 8) ? obj : null;
    }

    static IEnumerable<int> References(Shadow shadow) => Fields(shadow, shadow.Shape.ReferenceOffsets);

    static IEnumerable<int> Values(Shadow shadow) => Fields(shadow, shadow.Shape.ValueOffsets);

    static IEnumerable<int> Fields(Shadow shadow, int[] offsets)
    {
        MethodTable* type = shadow.Shape.Type;
        if (!type->HasComponentSize) return offsets;
        if (shadow.Shape.CharBytes != 0) return [];
        uint length = *(uint*)(shadow.Obj + 8);
        return Enumerable.Range(0, (int)length).SelectMany(e => offsets.Select(o => 16 + e * type->ComponentSize + o));
    }

    static ulong ChecksumOf(Shadow shadow)
    {
        ulong sum = 14695981039346656037;
        foreach (int offset in Values(shadow)) sum = (sum ^ *(ulong*)(shadow.Obj + (ulong)offset)) * 1099511628211;
        foreach (int offset in References(shadow)) sum = (sum ^ *(ulong*)(shadow.Obj + (ulong)offset)) * 1099511628211;
        if (shadow.Shape.CharBytes != 0)
        {
            uint length = *(uint*)(shadow.Obj + 8);
            for (int i = 0; i < length * 2; i++) sum = (sum ^ *(byte*)(shadow.Obj + 12 + (ulong)i)) * 1099511628211;
        }
        return sum;
    }
}

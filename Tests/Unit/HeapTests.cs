using System.Runtime.InteropServices;
using Kernel.Memory;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

[NonParallelizable]   // the page source below is static, as the kernel's is
public unsafe class HeapTests
{
    private static readonly List<nint> Chunks = new();
    private static ulong s_budget;

    private static ulong TakePages(ulong count)
    {
        if (count > s_budget) return 0;
        s_budget -= count;
        void* memory = NativeMemory.AlignedAlloc((nuint)(count * 4096), 4096);
        NativeMemory.Clear(memory, (nuint)(count * 4096));
        Chunks.Add((nint)memory);
        return (ulong)memory;
    }

    [TearDown]
    public void ReleaseChunks()
    {
        foreach (var chunk in Chunks) NativeMemory.AlignedFree((void*)chunk);
        Chunks.Clear();
    }

    private static Heap Create(byte[] initial, ulong budgetPages)
    {
        s_budget = budgetPages;
        var heap = new Heap();
        void* area = NativeMemory.AlignedAlloc((nuint)initial.Length, 16);
        NativeMemory.Clear(area, (nuint)initial.Length);
        Chunks.Add((nint)area);
        heap.Initialize((byte*)area, (byte*)area + initial.Length, &TakePages);
        return heap;
    }

    [Test]
    public void Allocations_are_aligned_and_do_not_overlap()
    {
        var heap = Create(new byte[4096], 0);
        var blocks = new List<(ulong Start, ulong Size)>();
        foreach (ulong size in new ulong[] { 1, 15, 16, 17, 100, 0 })
        {
            ulong block = (ulong)heap.TryAllocate(size);
            Assert.That(block % Heap.Alignment, Is.Zero);
            blocks.Add((block, Math.Max(size, 1)));
        }
        for (int i = 1; i < blocks.Count; i++)
            Assert.That(blocks[i].Start, Is.GreaterThanOrEqualTo(blocks[i - 1].Start + blocks[i - 1].Size));
        Assert.That(heap.Allocations, Is.EqualTo(6));
    }

    [Test]
    public void Grows_by_chunks_then_reports_exhaustion_with_null()
    {
        var heap = Create(new byte[64], Heap.ChunkSize / 4096);
        Assert.That((ulong)heap.TryAllocate(48), Is.Not.Zero);
        Assert.That((ulong)heap.TryAllocate(4096), Is.Not.Zero, "a new chunk");
        Assert.That(heap.Chunks, Is.EqualTo(2));
        Assert.That((ulong)heap.TryAllocate(Heap.ChunkSize), Is.Zero, "the page budget is spent");
        Assert.That(heap.BytesReserved, Is.EqualTo(64 + Heap.ChunkSize));
    }

    [Test]
    public void Oversized_requests_get_a_dedicated_page_rounded_chunk()
    {
        var heap = Create(new byte[64], 1000);
        ulong size = Heap.ChunkSize * 2 + 10;
        byte* block = (byte*)heap.TryAllocate(size);
        Assert.That((ulong)block, Is.Not.Zero);
        block[size - 1] = 1;
        Assert.That(heap.BytesReserved - 64, Is.EqualTo((size + 4095) / 4096 * 4096 ));
    }

    private static readonly List<(ulong Start, ulong End)> Visited = new();

    private static void Visit(ulong start, ulong end, void* context) => Visited.Add((start, end));

    [Test]
    public void Used_parts_are_each_chunk_newest_first_then_the_initial_area()
    {
        var heap = Create(new byte[64], 1000);
        ulong initial = (ulong)heap.TryAllocate(48);            // fits the initial area
        ulong first = (ulong)heap.TryAllocate(4000);            // does not: chunk 1
        ulong second = (ulong)heap.TryAllocate(Heap.ChunkSize); // does not fit chunk 1: chunk 2, sized for it
        ulong third = (ulong)heap.TryAllocate(8192);            // nor the page chunk 2 has left: chunk 3
        Visited.Clear();
        heap.UsedParts.ForEach(&Visit, null);
        Assert.That(Visited, Is.EqualTo(new[] { (third, third + 8192), (second, second + Heap.ChunkSize), (first, first + 4000), (initial, initial + 48) }));
        Assert.That(heap.Chunks, Is.EqualTo(4));
    }

    [Test]
    public void Before_it_grows_the_used_part_is_the_initial_area_up_to_its_cursor()
    {
        var heap = Create(new byte[256], 0);
        ulong block = (ulong)heap.TryAllocate(100);
        Visited.Clear();
        heap.UsedParts.ForEach(&Visit, null);
        Assert.That(Visited, Is.EqualTo(new[] { (block, block + 112) }));
    }

    [Test]
    public void Without_a_page_source_the_initial_area_is_all_there_is()
    {
        var heap = new Heap();
        byte* area = stackalloc byte[256];
        heap.Initialize(area, area + 256, null);
        Assert.That((ulong)heap.TryAllocate(200), Is.Not.Zero);
        Assert.That((ulong)heap.TryAllocate(200), Is.Zero);
    }
}

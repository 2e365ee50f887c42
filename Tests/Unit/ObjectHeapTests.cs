using System.Runtime.InteropServices;
using Kernel.Memory;
using Kernel.Tests.Unit.Fakes;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>The object heap's bookkeeping: size classes, cells, the page map's ownership, the sweep, and pages going back.</summary>
[NonParallelizable]   // SimulatedPages is static
public unsafe class ObjectHeapTests
{
    const ulong Page = ObjectHeap.PageSize;

    [SetUp]
    public void CreateMemory() => SimulatedPages.Create(4096);

    [TearDown]
    public void Destroy() => SimulatedPages.Destroy();

    [Test]
    public void Size_classes_are_aligned_growing_and_waste_at_most_the_header_per_page()
    {
        Assert.That(sizeof(HeapPage), Is.LessThanOrEqualTo((int)ObjectHeap.HeaderBytes));
        for (int c = 0; c < ObjectHeap.ClassCount; c++)
        {
            ulong cell = ObjectHeap.CellSizeOf(c);
            Assert.That(cell % ObjectHeap.CellAlignment, Is.Zero, $"class {c}");
            if (c > 0) Assert.That(cell, Is.GreaterThan(ObjectHeap.CellSizeOf(c - 1)));
            ulong cells = (Page - ObjectHeap.HeaderBytes) / cell;
            Assert.That(cells, Is.LessThanOrEqualTo(HeapPage.BitmapWords * 64ul));
            Assert.That(Page - ObjectHeap.HeaderBytes - cells * cell, Is.LessThanOrEqualTo(128ul), $"waste of class {c}");
        }
        Assert.That(ObjectHeap.CellSizeOf(ObjectHeap.ClassCount - 1), Is.EqualTo(ObjectHeap.MaxSmallCell));
        for (ulong size = 1; size <= ObjectHeap.MaxSmallCell; size++)
        {
            int c = ObjectHeap.ClassOf(size);
            Assert.That(ObjectHeap.CellSizeOf(c), Is.GreaterThanOrEqualTo(size));
            if (c > 0) Assert.That(ObjectHeap.CellSizeOf(c - 1), Is.LessThan(size), $"size {size} takes the smallest class that fits");
        }
    }

    [Test]
    public void Cells_are_zeroed_aligned_and_never_overlap()
    {
        ObjectHeap* heap = SimulatedPages.NewHeap(1);
        var random = new Random(17);
        var taken = new List<(ulong Start, ulong End)>();
        ulong expectedBytes = 0;
        for (int i = 0; i < 3000; i++)
        {
            ulong size = (ulong)(random.Next(8) == 0 ? random.Next(2000, 20000) : random.Next(1, 600));
            var cell = (byte*)heap->TryAllocate(size);
            Assert.That(cell != null, "allocated");
            Assert.That((ulong)cell % ObjectHeap.CellAlignment, Is.Zero);
            for (ulong b = 0; b < size; b++) Assert.That(cell[b], Is.Zero);
            NativeMemory.Fill(cell, (nuint)size, 0xAB);
            ulong cellSize = ObjectHeap.CellSize((ulong)cell);
            Assert.That(cellSize, Is.GreaterThanOrEqualTo(size));
            expectedBytes += cellSize;
            taken.Add(((ulong)cell, (ulong)cell + size));
        }
        taken.Sort();
        for (int i = 1; i < taken.Count; i++) Assert.That(taken[i].Start, Is.GreaterThanOrEqualTo(taken[i - 1].End), "cells are disjoint");
        Assert.That(heap->BytesInUse, Is.EqualTo(expectedBytes));
        Assert.That(heap->Pages, Is.EqualTo(SimulatedPages.InUse));
    }

    [Test]
    public void Any_byte_of_a_live_cell_finds_it_and_nothing_else_does()
    {
        ObjectHeap* heap = SimulatedPages.NewHeap(1);
        ObjectHeap* other = SimulatedPages.NewHeap(2);
        ulong small = (ulong)heap->TryAllocate(100);
        ulong large = (ulong)heap->TryAllocate(3 * Page);
        ulong foreign = (ulong)other->TryAllocate(100);
        for (ulong b = 0; b < ObjectHeap.CellSize(small); b++) Assert.That(heap->FindCell(small + b), Is.EqualTo(small));
        for (ulong b = 0; b < ObjectHeap.CellSize(large); b += 61) Assert.That(heap->FindCell(large + b), Is.EqualTo(large), "an interior pointer into a large object's later pages");
        ulong page = small & ~(Page - 1);
        Assert.That(heap->FindCell(page), Is.Zero, "the page header");
        Assert.That(heap->FindCell(small + ObjectHeap.CellSize(small)), Is.Zero, "the next cell, never allocated");
        Assert.That(heap->FindCell(page + Page - 1), Is.Zero, "past the last cell");
        Assert.That(heap->FindCell(foreign), Is.Zero, "another heap's cell");
        Assert.That(heap->FindCell(SimulatedPages.End + 64), Is.Zero, "beyond the page map");
        Assert.That(heap->FindCell(0), Is.Zero);
        Assert.That(heap->FindCell(ulong.MaxValue), Is.Zero);
    }

    [Test]
    public void The_sweep_frees_the_unmarked_keeps_the_marked_and_returns_empty_pages()
    {
        ObjectHeap* heap = SimulatedPages.NewHeap(1);
        var cells = new List<ulong>();
        for (int i = 0; i < 2000; i++) cells.Add((ulong)heap->TryAllocate((ulong)(16 + i % 300)));
        for (int i = 0; i < 20; i++) cells.Add((ulong)heap->TryAllocate(5000));
        ulong pagesBefore = heap->Pages;
        var kept = cells.Where((_, i) => i % 7 == 0).ToList();
        foreach (ulong cell in kept) Assert.That(ObjectHeap.TryMark(cell), Is.True);
        foreach (ulong cell in kept) Assert.That(ObjectHeap.TryMark(cell), Is.False, "marked once");
        foreach (ulong cell in cells) NativeMemory.Fill((void*)cell, 16, 0xEE);

        ulong live = heap->Sweep();

        Assert.That(live, Is.EqualTo(kept.Aggregate(0ul, (sum, cell) => sum + ObjectHeap.CellSize(cell))));
        Assert.That(heap->BytesInUse, Is.EqualTo(live));
        foreach (ulong cell in cells) Assert.That(heap->FindCell(cell) != 0, Is.EqualTo(kept.Contains(cell)));
        Assert.That(heap->Pages, Is.LessThan(pagesBefore), "pages left empty went back");
        Assert.That(heap->Pages, Is.EqualTo(SimulatedPages.InUse));
        for (int i = 0; i < 500; i++)
        {
            var cell = (byte*)heap->TryAllocate(48);
            for (int b = 0; b < 48; b++) Assert.That(cell[b], Is.Zero, "a reused cell is zeroed");
        }
        Assert.That(heap->Sweep(), Is.EqualTo(0ul), "nothing marked: everything dies");
        Assert.That(SimulatedPages.InUse, Is.Zero, "and every page went back");
    }

    [Test]
    public void A_dry_page_source_is_a_null_not_a_crash_and_a_release_returns_everything()
    {
        ObjectHeap* heap = SimulatedPages.NewHeap(1);
        SimulatedPages.Limit = 8;
        int count = 0;
        while (heap->TryAllocate(992) != null) count++;
        Assert.That(count, Is.EqualTo(8 * 4), "four 992-byte cells per page, eight pages");
        Assert.That(heap->TryAllocate(10 * Page) == null, "a large object that cannot fit");
        heap->ReleaseAll();
        Assert.That(SimulatedPages.InUse, Is.Zero);
        Assert.That(heap->Pages, Is.Zero);
        Assert.That(heap->TryAllocate(64) != null, "the heap works again");
    }
}

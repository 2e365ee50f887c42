using Kernel.Memory;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

public unsafe class PageFrameAllocatorTests
{
    private const ulong Page = PageFrameAllocator.PageSize;

    // The allocator keeps a raw pointer to its bitmap, so the array is pinned for the test's lifetime.
    private ulong[] _bitmap = [];

    private PageFrameAllocator Create(ulong pageCount, bool allFree)
    {
        _bitmap = GC.AllocateArray<ulong>((int)((pageCount + 63) / 64), pinned: true);
        var pages = new PageFrameAllocator();
        fixed (ulong* bitmap = _bitmap) pages.Initialize(bitmap, pageCount * Page);
        if (allFree) pages.MarkFree(0, pageCount * Page);
        return pages;
    }

    [Test]
    public void Starts_fully_used_and_frees_only_whole_pages()
    {
        var pages = Create(64, allFree: false);
        Assert.That(pages.FreePages, Is.Zero);
        pages.MarkFree(Page + 1, 3 * Page);          // covers pages 2 and 3 fully, 1 and 4 partly
        Assert.That(pages.FreePages, Is.EqualTo(2));
        Assert.That(pages.IsFree(Page), Is.False);
        Assert.That(pages.IsFree(2 * Page), Is.True);
        Assert.That(pages.IsFree(4 * Page), Is.False);
    }

    [Test]
    public void Page_zero_is_never_free_so_zero_means_none()
    {
        var pages = Create(8, allFree: true);
        Assert.That(pages.IsFree(0), Is.False);
        for (int i = 0; i < 7; i++) Assert.That(pages.Allocate(), Is.Not.Zero);
        Assert.That(pages.Allocate(), Is.Zero, "exhausted");
    }

    [Test]
    public void Reservations_round_outward_and_win_over_free_ranges()
    {
        var pages = Create(32, allFree: true);
        pages.MarkReserved(5 * Page + 100, 10);       // touches page 5 only
        pages.MarkReserved(9 * Page - 1, 2);          // touches pages 8 and 9
        Assert.That(pages.FreePages, Is.EqualTo(31 - 3));
        Assert.That(new ulong[] { 5, 8, 9 }.All(p => !pages.IsFree(p * Page)), Is.True);
        var seen = new HashSet<ulong>();
        for (ulong a; (a = pages.Allocate()) != 0;) Assert.That(seen.Add(a), Is.True, "no page twice");
        Assert.That(seen, Has.None.AnyOf(0UL, 5 * Page, 8 * Page, 9 * Page));
        Assert.That(seen, Has.Count.EqualTo(28));
    }

    [Test]
    public void Contiguous_runs_respect_alignment_and_skip_holes()
    {
        var pages = Create(128, allFree: true);
        pages.MarkReserved(17 * Page, Page);
        ulong run = pages.AllocateContiguous(16, 16);
        Assert.That(run, Is.EqualTo(32 * Page), "16..31 contains the reserved page 17; 0 is never free");
        Assert.That(pages.AllocateContiguous(200, 1), Is.Zero, "larger than memory");
        Assert.That(pages.AllocateContiguous(1, 0), Is.Zero, "zero alignment is refused");
    }

    [Test]
    public void Free_refuses_double_frees_and_foreign_addresses()
    {
        var pages = Create(16, allFree: true);
        ulong a = pages.AllocateContiguous(4, 1);
        ulong free = pages.FreePages;
        Assert.That(pages.Free(a + 1, 1), Is.False, "unaligned");
        Assert.That(pages.Free(a, 4), Is.True);
        Assert.That(pages.Free(a, 4), Is.False, "double free");
        Assert.That(pages.Free(0, 1), Is.False, "page zero");
        Assert.That(pages.Free(15 * Page, 4), Is.False, "past the end");
        Assert.That(pages.FreePages, Is.EqualTo(free + 4));
    }

    [Test]
    public void Random_operations_keep_the_free_count_exact()
    {
        var random = new Random(42);
        var pages = Create(512, allFree: true);
        var held = new List<(ulong Address, ulong Count)>();
        for (int step = 0; step < 5000; step++)
        {
            if (held.Count > 0 && random.Next(2) == 0)
            {
                int index = random.Next(held.Count);
                Assert.That(pages.Free(held[index].Address, held[index].Count), Is.True);
                held.RemoveAt(index);
            }
            else
            {
                ulong count = (ulong)random.Next(1, 9);
                ulong address = pages.AllocateContiguous(count, 1);
                if (address != 0) held.Add((address, count));
            }
            Assert.That(pages.FreePages, Is.EqualTo(511 - held.Sum(h => (long)h.Count)));
        }
    }
}

using System.Runtime.InteropServices;
using Kernel.Arch;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>The kernel's page-table builder on host memory: table pointers are host addresses, as identity mapping makes them in the kernel.</summary>
[NonParallelizable]
public unsafe class PageTablesTests
{
    private static readonly List<nint> Tables = new();
    private static int s_budget;

    private static ulong NewTable()
    {
        if (s_budget-- <= 0) return 0;
        void* page = NativeMemory.AlignedAlloc(4096, 4096);
        NativeMemory.Clear(page, 4096);
        Tables.Add((nint)page);
        return (ulong)page;
    }

    [TearDown]
    public void Release()
    {
        foreach (var table in Tables) NativeMemory.AlignedFree((void*)table);
        Tables.Clear();
    }

    private static PageTables Create(int budget = 100)
    {
        s_budget = budget;
        var tables = new PageTables();
        Assert.That(tables.Initialize(&NewTable), Is.True);
        return tables;
    }

    [Test]
    public void A_4K_mapping_carries_address_and_flags_to_the_leaf()
    {
        var tables = Create();
        Assert.That(tables.Map4K(0x1234_5000, 0xABC_D000, PageFlags.Writable | PageFlags.NoExecute), Is.True);
        ulong leaf = tables.Lookup(0x1234_5FFF);
        Assert.That(leaf & 0x000F_FFFF_FFFF_F000, Is.EqualTo(0xABC_D000));
        Assert.That((PageFlags)leaf & (PageFlags.Present | PageFlags.Writable | PageFlags.NoExecute | PageFlags.Large),
                    Is.EqualTo(PageFlags.Present | PageFlags.Writable | PageFlags.NoExecute));
        Assert.That(tables.Lookup(0x1234_6000), Is.Zero, "the next page is unmapped");
        Assert.That(tables.TablePages, Is.EqualTo(4), "PML4, PDPT, PD, PT");
    }

    [Test]
    public void A_2M_mapping_is_a_large_leaf_in_the_directory()
    {
        var tables = Create();
        Assert.That(tables.Map2M(0x4000_0000, 0x4000_0000, PageFlags.CacheDisable), Is.True);
        ulong leaf = tables.Lookup(0x401F_FFFF);
        Assert.That((PageFlags)leaf & (PageFlags.Large | PageFlags.Present | PageFlags.CacheDisable | PageFlags.Writable),
                    Is.EqualTo(PageFlags.Large | PageFlags.Present | PageFlags.CacheDisable));
        Assert.That(leaf & 0x000F_FFFF_FFE0_0000, Is.EqualTo(0x4000_0000));
        Assert.That(tables.TablePages, Is.EqualTo(3), "no page table below a large page");
    }

    [Test]
    public void Small_pages_cannot_be_placed_under_a_large_page()
    {
        var tables = Create();
        tables.Map2M(0, 0, PageFlags.Writable);
        Assert.That(tables.Map4K(0x1000, 0x1000, PageFlags.None), Is.False);
    }

    [Test]
    public void Running_out_of_table_pages_is_reported()
    {
        var tables = Create(budget: 3);
        Assert.That(tables.Map4K(0x1000, 0x1000, PageFlags.None), Is.False, "the page table itself could not be had");
        Assert.That(tables.Map2M(0x20_0000, 0x20_0000, PageFlags.None), Is.True, "large pages need no fourth level");
    }

    [Test]
    public void Unmapping_removes_only_that_page()
    {
        var tables = Create();
        tables.Map4K(0x7F00_0000_0000, 0x10_0000, PageFlags.Writable);
        tables.Map4K(0x7F00_0000_1000, 0x10_1000, PageFlags.Writable);
        Assert.That(tables.Unmap4K(0x7F00_0000_0000), Is.True);
        Assert.That(tables.Lookup(0x7F00_0000_0000), Is.Zero);
        Assert.That(tables.Lookup(0x7F00_0000_1000) & 0x000F_FFFF_FFFF_F000, Is.EqualTo(0x10_1000));
        Assert.That(tables.Unmap4K(0x7F00_0000_0000), Is.False, "already gone");
        tables.Map2M(0x20_0000, 0x20_0000, PageFlags.None);
        Assert.That(tables.Unmap4K(0x20_0000), Is.False, "a large page is not a 4 KiB mapping");
    }

    [Test]
    public void Many_mappings_share_upper_levels()
    {
        var tables = Create();
        for (ulong page = 0; page < 512; page++)
            Assert.That(tables.Map4K(page * 4096, page * 4096 + 0x100_0000, PageFlags.None), Is.True);
        Assert.That(tables.TablePages, Is.EqualTo(4));
        Assert.That(tables.Lookup(511 * 4096) & 0x000F_FFFF_FFFF_F000, Is.EqualTo(511 * 4096 + 0x100_0000UL));
    }
}

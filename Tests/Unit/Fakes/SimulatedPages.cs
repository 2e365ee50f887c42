using System.Runtime.InteropServices;
using Kernel.Memory;

namespace Kernel.Tests.Unit.Fakes;

/// <summary>
/// Physical memory for object-heap tests: an aligned region whose pages are handed out first fit and taken back, a
/// page map covering it, and a limit on pages in use to run it dry. Freed pages are filled with 0xDD, so a heap that
/// keeps using one shows it. Object heaps over it (NewHeap) go with it. Static, as the kernel's page source is: fixtures
/// using it are not run in parallel.
/// </summary>
public static unsafe class SimulatedPages
{
    public const ulong PageSize = PageMap.PageSize;

    static byte* s_region;
    static bool[] s_used = [];
    static uint* s_mapEntries;
    static readonly List<nint> s_heaps = [];

    public static PageMap* Map { get; private set; }
    public static ulong InUse { get; private set; }
    public static ulong Limit { get; set; }
    public static ulong Start => (ulong)s_region;
    public static ulong End => (ulong)s_region + (ulong)s_used.Length * PageSize;

    public static PageSource Source => new() { Allocate = &Allocate, Free = &Free };

    public static void Create(int pages)
    {
        Destroy();
        s_region = (byte*)NativeMemory.AlignedAlloc((nuint)((ulong)pages * PageSize), (nuint)PageSize);
        s_used = new bool[pages];
        s_mapEntries = (uint*)NativeMemory.Alloc((nuint)PageMap.BytesFor((ulong)pages));
        Map = (PageMap*)NativeMemory.AllocZeroed((nuint)sizeof(PageMap));
        Map->Initialize(s_mapEntries, (ulong)s_region, (ulong)pages);
        InUse = 0;
        Limit = (ulong)pages;
    }

    /// <summary>An empty object heap over these pages whose pages the map records as <paramref name="owner"/>'s; freed by Destroy.</summary>
    public static ObjectHeap* NewHeap(ushort owner)
    {
        var heap = (ObjectHeap*)NativeMemory.AllocZeroed((nuint)sizeof(ObjectHeap));
        heap->Initialize(Map, Source, owner);
        s_heaps.Add((nint)heap);
        return heap;
    }

    public static void Destroy()
    {
        foreach (var heap in s_heaps) NativeMemory.Free((void*)heap);
        s_heaps.Clear();
        if (s_region == null) return;
        NativeMemory.AlignedFree(s_region);
        NativeMemory.Free(s_mapEntries);
        NativeMemory.Free(Map);
        s_region = null;
        s_used = [];
    }

    static ulong Allocate(ulong count)
    {
        if (InUse + count > Limit) return 0;
        for (int first = 0, run = 0; first + run < s_used.Length;)
        {
            if (s_used[first + run]) { first += run + 1; run = 0; continue; }
            if ((ulong)++run < count) continue;
            for (int i = 0; i < run; i++) s_used[first + i] = true;
            byte* address = s_region + (ulong)first * PageSize;
            NativeMemory.Clear(address, (nuint)(count * PageSize));
            InUse += count;
            return (ulong)address;
        }
        return 0;
    }

    static void Free(ulong address, ulong count)
    {
        int first = (int)((address - (ulong)s_region) / PageSize);
        for (int i = 0; i < (int)count; i++)
        {
            if (!s_used[first + i]) throw new InvalidOperationException($"page {first + i} freed twice");
            s_used[first + i] = false;
        }
        NativeMemory.Fill((void*)address, (nuint)(count * PageSize), 0xDD);
        InUse -= count;
    }
}

using Kernel.Memory;
using Kernel.Proc;
using Kernel.Testing;

namespace Kernel.SelfTests
{
    /// <summary>
    /// The kernel task's own heap (Kernel/Memory/KernelTaskHeap.cs): what the kernel task drops comes back at a
    /// collection, what kernel memory still points at stays intact, and a snapshot hands a process a copy of a name,
    /// never the kernel's string. The runner collects after every test, so every suite exercises it too.
    /// </summary>
    [SelfTestSuite("taskheap")]
    public static unsafe class KernelTaskHeapTests
    {
        private const int GarbageArrays = 2000;
        private static string s_kept;
        private static byte[] s_latest;

        [SelfTestCleanup]
        public static void KillStrays() => ProcessKit.KillStrays();

        [SelfTest]
        public static void WhatTheKernelTaskDropsComesBackAndWhatKernelMemoryHoldsStays()
        {
            Assert.True(KernelTaskHeap.Enabled, "the kernel task has its own heap");
            ProcessMemory* memory = ProcessTable.KernelTask.MemoryBlock;
            KernelTaskHeap.Collect();
            ulong pagesBefore = memory->Heap.Pages;
            ulong kernelHeap = KernelHeap.BytesAllocated;

            s_kept = NameAtRunTime(7);                        // held by a static
            string name = NameAtRunTime(8);
            int endpoint = ProcessKit.Spawn(name, &ProcessKit.Spin, 0);   // held by the process table's entry
            for (int i = 0; i < GarbageArrays; i++) Churn(i);
            ulong pagesWithGarbage = memory->Heap.Pages;

            CollectionResult result = KernelTaskHeap.Collect();
            Assert.True(pagesWithGarbage > pagesBefore + 16, "the garbage took pages");
            Assert.True(memory->Heap.Pages <= pagesBefore + 4, "the garbage's pages came back");
            string held = ProcessTable.At(Endpoint.SlotOf(endpoint)).Name;
            Assert.True(Kept(memory, s_kept), "the string a static holds is kept");
            Assert.Equal("kept-7", s_kept, "intact");
            Assert.True(Kept(memory, held), "the name the process table holds is kept");
            Assert.Equal("kept-8", held, "intact");
            Assert.Equal(kernelHeap, KernelHeap.BytesAllocated, "the kernel task allocated nothing in the kernel heap");
            SelfTestRunner.Note(Lib.TextBuffer.Of($"{pagesWithGarbage} pages with the garbage, {memory->Heap.Pages} after; {result.LiveBytes / 1024} KiB live, {result.Roots} root words"));
        }

        [SelfTest]
        public static void ASnapshotHandsOutACopyOfAProcessName()
        {
            string name = NameAtRunTime(9);
            int endpoint = ProcessKit.Spawn(name, &ProcessKit.Spin, 0);
            Assert.True(Snapshots.ProcessWith(endpoint, out ProcessInfo info), "the process is there");
            Assert.Equal("kept-9", info.Name, "the snapshot spells the name");
            Assert.False((object)info.Name == (object)ProcessTable.At(Endpoint.SlotOf(endpoint)).Name, "it is a copy, not the kernel's string");

            string longName = Lib.TextBuffer.Of($"{name}-{name}-{name}-{name}-{name}-{name}-{name}-{name}-{name}-{name}-{name}");   // 76 characters
            int longOne = ProcessKit.Spawn(longName, &ProcessKit.Spin, 0);
            Assert.True(Snapshots.ProcessWith(longOne, out info), "the long-named process is there");
            Assert.Equal(longName.Substring(0, Snapshots.MaxNameLength), info.Name, "a snapshot cuts a long name to its first characters");
        }

        // A name made at run time, so it lives in the kernel task's heap ("kept-N").
        private static string NameAtRunTime(int n) => Lib.TextBuffer.Of($"kept-{n}");

        // Still an allocated cell of the kernel task's heap (a freed one keeps its characters until it is reused).
        private static bool Kept(ProcessMemory* memory, string text)
        {
            fixed (char* chars = text) return memory->Heap.FindCell((ulong)chars) != 0;
        }

        // Each array escapes to a static (or the compiler could put it on the stack) and is dropped by the next one.
        private static void Churn(int i) => s_latest = new byte[100 + i % 16];
    }
}

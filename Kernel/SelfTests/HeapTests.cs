using Kernel.Memory;
using Kernel.Testing;

namespace Kernel.SelfTests
{
    [SelfTestSuite("heap")]
    public static unsafe class HeapTests
    {
        // The tests run the kernel heap's code on a heap of their own over pages they give back, so running them again
        // leaves the kernel heap where it was (issue 18); the kernel heap itself is used by every boot.
        private const int MaxChunks = 8;
        private static ulong* s_chunkAddresses;
        private static ulong* s_chunkPages;
        private static int s_chunks;
        private static ulong s_budgetPages;

        private static ulong TrackedPages(ulong count)
        {
            if (count > s_budgetPages || s_chunks == MaxChunks) return 0;
            ulong address = PhysicalMemory.AllocateZeroedPages(count);
            if (address == 0) return 0;
            s_budgetPages -= count;
            s_chunkAddresses[s_chunks] = address;
            s_chunkPages[s_chunks++] = count;
            return address;
        }

        // A heap whose initial area is one page and which may take budgetPages more.
        private static Heap PrivateHeap(ulong budgetPages)
        {
            s_chunkAddresses = (ulong*)Scratch.Allocate(MaxChunks * sizeof(ulong));
            s_chunkPages = (ulong*)Scratch.Allocate(MaxChunks * sizeof(ulong));
            s_chunks = 0;
            s_budgetPages = 1 + budgetPages;
            var area = (byte*)TrackedPages(1);
            Assert.True(area != null, "a page for the heap's initial area");
            var heap = new Heap();
            heap.Initialize(area, area + PageFrameAllocator.PageSize, &TrackedPages);
            return heap;
        }

        [SelfTestCleanup]
        public static void GivePagesBack()
        {
            for (int i = 0; i < s_chunks; i++)
                Assert.True(PhysicalMemory.FreePagesAt(s_chunkAddresses[i], s_chunkPages[i]), "the heap's pages go back");
            s_chunks = 0;
        }

        [SelfTest]
        public static void AllocationsAreZeroedAlignedAndDistinct()
        {
            Heap heap = PrivateHeap(Heap.ChunkSize / 4096);
            byte* previous = null;
            for (int i = 1; i <= 64; i++)
            {
                byte* block = (byte*)heap.TryAllocate((ulong)(i * 24));
                Assert.True(block != null, "the heap has room");
                Assert.Equal(0ul, (ulong)block % Heap.Alignment, "16-byte alignment");
                for (int j = 0; j < i * 24; j++)
                    if (block[j] != 0) Assert.Fail("fresh heap memory is not zero");
                for (int j = 0; j < i * 24; j++) block[j] = 0xAA;
                Assert.True(previous == null || block >= previous + (i - 1) * 24, "blocks do not overlap");
                previous = block;
            }
        }

        [SelfTest]
        public static void GrowsBeyondOneChunk()
        {
            Heap heap = PrivateHeap(4 * Heap.ChunkSize / 4096);
            ulong size = heap.BytesFree + Heap.ChunkSize;   // cannot fit the current chunk, nor a standard one
            ulong free = PhysicalMemory.FreePages;
            byte* big = (byte*)heap.TryAllocate(size);
            Assert.True(big != null, "a request larger than a chunk succeeds");
            big[size - 1] = 1;
            Assert.Equal(2ul, heap.Chunks, "a new chunk was taken from the page allocator");
            Assert.True(PhysicalMemory.FreePages < free, "pages were consumed");
        }

        [SelfTest]
        public static void ExhaustionIsReportedNotHidden()
        {
            Heap heap = PrivateHeap(Heap.ChunkSize / 4096);   // exactly one more chunk
            Assert.True(heap.TryAllocate(4000) != null, "fits the initial area");
            Assert.True(heap.TryAllocate(4000) != null, "second allocation takes the one extra chunk");
            Assert.True(heap.TryAllocate(Heap.ChunkSize) == null, "with the budget spent, TryAllocate returns null");
            Assert.Equal(2ul, heap.Chunks, "initial area plus one chunk");
        }

        [SelfTest]
        public static void ObjectsArraysAndStrings()
        {
            var numbers = new int[1000];
            for (int i = 0; i < numbers.Length; i++) numbers[i] = i * i;
            Assert.Equal(998001ul, (ulong)numbers[999], "array element");
            var words = new string[3];
            words[1] = "middle";
            Assert.True(words[0] == null && words[1] == "middle", "reference array");
            var point = new Holder { Value = 7 };
            Assert.Equal(7ul, (ulong)point.Value, "object field");
        }

        private sealed class Holder { public int Value; }
    }
}

using Kernel.Memory;
using Kernel.Testing;

namespace Kernel.SelfTests
{
    [SelfTestSuite("heap")]
    public static unsafe class HeapTests
    {
        [SelfTest]
        public static void AllocationsAreZeroedAlignedAndDistinct()
        {
            byte* previous = null;
            for (int i = 1; i <= 64; i++)
            {
                byte* block = (byte*)KernelHeap.Allocate((ulong)(i * 24));
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
            ulong chunks = KernelHeap.Chunks;
            ulong size = KernelHeap.BytesFree + Heap.ChunkSize;   // cannot fit the current chunk, nor a standard one
            byte* big = (byte*)KernelHeap.Allocate(size);
            Assert.True(big != null, "a request larger than a chunk succeeds");
            big[size - 1] = 1;
            Assert.True(KernelHeap.Chunks > chunks, "a new chunk was taken from the page allocator");
            Assert.True(PhysicalMemory.FreePages < PhysicalMemory.TotalPages, "pages were consumed");
        }

        private static ulong s_budgetPages;

        private static ulong LimitedPages(ulong count)
        {
            if (count > s_budgetPages) return 0;
            s_budgetPages -= count;
            return PhysicalMemory.AllocateZeroedPages(count);
        }

        [SelfTest]
        public static void ExhaustionIsReportedNotHidden()
        {
            var heap = new Heap();
            byte* area = (byte*)KernelHeap.Allocate(4096);
            s_budgetPages = Heap.ChunkSize / 4096;   // exactly one more chunk
            heap.Initialize(area, area + 4096, &LimitedPages);
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

using Kernel.Arch;
using Kernel.Testing;

namespace Kernel.SelfTests
{
    /// <summary>The kernel's own page tables: W^X over the image, the null page, and that the CPU enforces both.</summary>
    [SelfTestSuite("paging")]
    public static unsafe class PagingTests
    {
        private const ulong PageFaultPresent = 1, PageFaultWrite = 2, PageFaultInstructionFetch = 16;

        private static ulong s_writableData = 0x1234;

        [SelfTest]
        public static void KernelRootIsActive()
        {
            Assert.EqualHex(Paging.KernelRoot, CpuNative.ReadCr3() & ~0xFFFUL, "CR3 holds the kernel's tables");
            Assert.True((CpuNative.ReadCr0() & Cr0.WriteProtect) != 0, "CR0.WP binds ring 0 to read-only pages");
            Assert.True((Msrs.Read(Msr.Ia32Efer) & Efer.NoExecuteEnable) != 0, "EFER.NXE enables the NX bit");
        }

        [SelfTest]
        public static void ImageSectionsHaveTheirPermissions()
        {
            ImageLayout* image = KernelMain.Image;
            for (ulong page = image->TextStart; page < image->TextEnd; page += PageTables.PageSize)
                ExpectLeaf(page, writable: false, executable: true);
            for (ulong page = image->RodataStart; page < image->RodataEnd; page += PageTables.PageSize)
            {
                bool released = Alternatives.TablesReleased && page >= image->AlternativesStart && page < image->AlternativesEnd;
                ExpectLeaf(page, writable: released, executable: false);   // released tables became ordinary memory
            }
            for (ulong page = image->DataStart; page < image->DataEnd; page += PageTables.PageSize)
                ExpectLeaf(page, writable: true, executable: false);
        }

        [SelfTest]
        public static void NullPageIsUnmapped() => Assert.Equal(0ul, Paging.Lookup(0), "page 0 has no mapping");

        [SelfTest]
        public static void HeapAndStackAreNotExecutable()
        {
            ExpectLeaf((ulong)Scratch.Allocate(16) & ~0xFFFUL, writable: true, executable: false);
            ExpectLeaf(CpuNative.ReadRsp() & ~0xFFFUL, writable: true, executable: false);
        }

        [SelfTest]
        public static void WritingTextFaults()
        {
            ulong target = KernelMain.Image->TextStart + 0x10;
            CaughtFault fault;
            Assert.True(FaultCatcher.Catch(&WriteByte, (void*)target, &fault), "a write to kernel text raises an exception");
            Assert.Equal((ulong)ExceptionVector.PageFault, fault.Vector, "vector");
            Assert.EqualHex(PageFaultPresent | PageFaultWrite, fault.ErrorCode & (PageFaultPresent | PageFaultWrite | PageFaultInstructionFetch), "protection violation on a write");
            Assert.EqualHex(target, fault.Cr2, "CR2 names the address");
        }

        [SelfTest]
        public static void WritingDataWorks()
        {
            fixed (ulong* data = &s_writableData)
            {
                CaughtFault fault;
                Assert.False(FaultCatcher.Catch(&WriteByte, data, &fault), "a write to .data succeeds");
            }
        }

        [SelfTest]
        public static void ExecutingDataFaults()
        {
            byte* code = (byte*)Scratch.Allocate(16);
            code[0] = 0xC3;   // ret: harmless if the NX bit failed to stop it
            CaughtFault fault;
            Assert.True(FaultCatcher.Catch(&Execute, code, &fault), "a jump into heap memory raises an exception");
            Assert.Equal((ulong)ExceptionVector.PageFault, fault.Vector, "vector");
            Assert.True((fault.ErrorCode & PageFaultInstructionFetch) != 0, "the fault is an instruction fetch");
            Assert.EqualHex((ulong)code, fault.Rip, "RIP is the data address");
        }

        [SelfTest]
        public static void NullDereferenceFaults()
        {
            CaughtFault fault;
            Assert.True(FaultCatcher.Catch(&ReadByte, (void*)8, &fault), "reading address 8 raises an exception");
            Assert.Equal((ulong)ExceptionVector.PageFault, fault.Vector, "vector");
            Assert.Equal(0ul, fault.ErrorCode & PageFaultPresent, "page not present");
            Assert.Equal(8ul, fault.Cr2, "CR2");
        }

        private static void WriteByte(void* address) => *(byte*)address = 0x90;
        private static void ReadByte(void* address) => s_writableData = *(byte*)address;
        private static void Execute(void* address) => ((delegate*<void>)address)();

        private static void ExpectLeaf(ulong address, bool writable, bool executable)
        {
            ulong entry = Paging.Lookup(address);
            Assert.True((entry & (ulong)PageFlags.Present) != 0, "page is mapped");
            Assert.True(((entry & (ulong)PageFlags.Writable) != 0) == writable, writable ? "page is writable" : "page is read-only");
            Assert.True(((entry & (ulong)PageFlags.NoExecute) == 0) == executable, executable ? "page is executable" : "page is no-execute");
        }
    }
}

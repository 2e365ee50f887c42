using System.Runtime.InteropServices;

namespace Kernel.Arch
{
    /// <summary>
    /// The 64-bit task-state segment: no task switching in long mode, it only holds the stacks the
    /// CPU switches to (SDM Vol. 3A §8.7 "Task Management in 64-bit Mode", Figure 8-11).
    /// </summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public unsafe struct Tss
    {
        public uint Reserved0;
        public ulong Rsp0, Rsp1, Rsp2;
        public ulong Reserved1;
        public fixed ulong Ist[7];               // Ist[0] is IST1
        public ulong Reserved2;
        public ushort Reserved3;
        public ushort IoMapBase;
    }

    /// <summary>A CPU's own GDT, TSS and interrupt stacks; every CPU gets one (SMP bring-up makes the others).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct CpuTables
    {
        public fixed ulong Gdt[5];               // null, kernel code, kernel data, TSS (two slots)
        public Tss Tss;
    }

    /// <summary>Interrupt stack table slots (IST1..3) for the exceptions that must not trust the current stack.</summary>
    public enum InterruptStack : byte
    {
        None = 0,
        Nmi = 1,
        DoubleFault = 2,
        MachineCheck = 3,
    }

    public static unsafe class Gdt
    {
        public const int InterruptStackSize = 16 * 1024;

        private const ulong TssTypeAvailable64 = 0x9;             // §3.5 "System Descriptor Types"
        private const ulong DescriptorPresent = 1UL << 47;
        private const ulong TssBusy = 1UL << 41;                  // type 0xB = busy 64-bit TSS

        private const int InterruptStacks = (int)InterruptStack.MachineCheck;
        private static int TablesBytes => (sizeof(CpuTables) + 15) & ~15;   // the stacks after them stay 16-byte aligned

        /// <summary>The zeroed, 16-byte-aligned memory <see cref="Prepare"/> needs per CPU: its tables and IST stacks.</summary>
        public static ulong MemoryPerCpu => (ulong)(TablesBytes + InterruptStacks * InterruptStackSize);

        /// <summary>Builds a CPU's GDT and TSS with fresh IST stacks in <paramref name="memory"/> (<see cref="MemoryPerCpu"/> bytes, kept for good).</summary>
        public static void Prepare(PerCpu* cpu, void* memory)
        {
            var tables = (CpuTables*)memory;
            byte* stacks = (byte*)memory + TablesBytes;
            tables->Gdt[Selectors.KernelCode / 8] = SegmentDescriptors.Code64;
            tables->Gdt[Selectors.KernelData / 8] = SegmentDescriptors.Data;
            tables->Tss.IoMapBase = (ushort)sizeof(Tss);          // no I/O permission bitmap
            for (int stack = (int)InterruptStack.Nmi; stack <= (int)InterruptStack.MachineCheck; stack++)
                tables->Tss.Ist[stack - 1] = (ulong)(stacks + stack * InterruptStackSize);   // the top of stack number `stack`

            ulong tss = (ulong)&tables->Tss;
            ulong limit = (ulong)sizeof(Tss) - 1;
            tables->Gdt[Selectors.Tss / 8] = (limit & 0xFFFF) | ((tss & 0xFF_FFFF) << 16) | (TssTypeAvailable64 << 40)
                                             | DescriptorPresent | (((limit >> 16) & 0xF) << 48) | (((tss >> 24) & 0xFF) << 56);
            tables->Gdt[Selectors.Tss / 8 + 1] = tss >> 32;
            cpu->Tables = tables;
        }

        /// <summary>Loads the prepared GDT and TSS on the executing CPU and reinstalls its GS base (LGDT's reload clears it).</summary>
        public static void Load(PerCpu* cpu)
        {
            CpuTables* tables = cpu->Tables;
            tables->Gdt[Selectors.Tss / 8] &= ~TssBusy;           // a restarted CPU finds its TSS still marked busy: LTR would #GP
            DescriptorTablePointer pointer;
            pointer.Limit = (ushort)(5 * sizeof(ulong) - 1);
            pointer.Base = (ulong)tables->Gdt;
            CpuNative.LoadGdt(&pointer, Selectors.KernelCode, Selectors.KernelData);
            CpuNative.LoadTaskRegister(Selectors.Tss);
            PerCpu.Install(cpu);
        }
    }
}

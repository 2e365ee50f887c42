using System.Runtime.InteropServices;

namespace Kernel.Arch
{
    /// <summary>
    /// The interrupt descriptor table, one for all CPUs: every vector's gate points at its stub in
    /// Bridge/InterruptStubs.asm. NMI, double fault and machine check switch to their own IST stacks
    /// because the stack they interrupt may be the problem (SDM Vol. 3A §6.14.5 "Interrupt Stack Table").
    /// </summary>
    public static unsafe class Idt
    {
        [StructLayout(LayoutKind.Sequential)]
        private struct Gate   // SDM Vol. 3A §6.14.1, Figure 6-8 "64-Bit IDT Gate Descriptors"
        {
            public ushort OffsetLow;
            public ushort Selector;
            public byte Ist;
            public byte TypeAttributes;
            public ushort OffsetMiddle;
            public uint OffsetHigh;
            public uint Reserved;
        }

        private const byte InterruptGatePresentDpl0 = 0x8E;   // P=1, DPL=0, type 0xE (64-bit interrupt gate: IF cleared)

        private struct Table { public fixed byte Bytes[Vectors.Count * 16]; }
        private static Table s_table;

        public static void Initialize(ImageLayout* image)
        {
            fixed (Table* table = &s_table)
            {
                var gates = (Gate*)table;
                for (int vector = 0; vector < Vectors.Count; vector++)
                {
                    ulong stub = image->InterruptStubs + (ulong)(vector * Vectors.StubSize);
                    gates[vector].OffsetLow = (ushort)stub;
                    gates[vector].Selector = Selectors.KernelCode;
                    gates[vector].Ist = (byte)StackFor(vector);
                    gates[vector].TypeAttributes = InterruptGatePresentDpl0;
                    gates[vector].OffsetMiddle = (ushort)(stub >> 16);
                    gates[vector].OffsetHigh = (uint)(stub >> 32);
                }
            }
            Load();
        }

        /// <summary>Loads the shared IDT on the executing CPU.</summary>
        public static void Load()
        {
            fixed (Table* table = &s_table)
            {
                DescriptorTablePointer pointer;
                pointer.Limit = (ushort)(sizeof(Table) - 1);
                pointer.Base = (ulong)table;
                CpuNative.LoadIdt(&pointer);
            }
        }

        private static InterruptStack StackFor(int vector) => (ExceptionVector)vector switch
        {
            ExceptionVector.NonMaskableInterrupt => InterruptStack.Nmi,
            ExceptionVector.DoubleFault => InterruptStack.DoubleFault,
            ExceptionVector.MachineCheck => InterruptStack.MachineCheck,
            _ => InterruptStack.None,
        };
    }
}

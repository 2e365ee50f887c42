// Block copies and fills ilc lowers struct copies, array copies and initialisation to.
using System.Runtime.CompilerServices;

namespace System
{
    internal static unsafe class Buffer
    {
        // No GC, so no write barrier: a reference copy is a plain copy.
        public static void BulkMoveWithWriteBarrier(ref byte destination, ref byte source, nuint byteCount) =>
            Kernel.Lib.Memory.Move(Unsafe.AsPointer(ref destination), Unsafe.AsPointer(ref source), byteCount);
    }

    internal static unsafe class SpanHelpers
    {
        public static void Memmove(ref byte destination, ref byte source, nuint byteCount) =>
            Kernel.Lib.Memory.Move(Unsafe.AsPointer(ref destination), Unsafe.AsPointer(ref source), byteCount);

        // The JIT's memset helper (instantiated over byte by ilc).
        public static void Fill<T>(ref T refData, nuint numElements, T value) where T : unmanaged
        {
            fixed (T* start = &refData)
                for (nuint i = 0; i < numElements; i++) start[i] = value;
        }

        public static void ClearWithoutReferences(ref byte b, nuint byteLength) =>
            Kernel.Lib.Memory.Zero(Unsafe.AsPointer(ref b), byteLength);
    }
}

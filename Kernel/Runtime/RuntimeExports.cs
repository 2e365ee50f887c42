// The runtime entry points ilc's code calls by name (nm -u on Kernel.o lists them): allocation and
// throwing. Write barriers and the GS cookie are in Runtime/RuntimeStubs.asm.
using System;
using System.Runtime;
using Internal.Runtime;

namespace Kernel.Runtime
{
    internal static unsafe class RuntimeExports
    {
        [RuntimeExport("RhpNewFast")]
        private static void* NewObject(MethodTable* type) => ObjectAllocator.AllocateObject(type);

        [RuntimeExport("RhpNewFinalizable")]
        private static void* NewFinalizable(MethodTable* type) => ObjectAllocator.AllocateObject(type);

        [RuntimeExport("RhpNewArrayFast")]
        private static void* NewArray(MethodTable* type, int length) => NewArrayChecked(type, length);

        [RuntimeExport("RhpNewPtrArrayFast")]
        private static void* NewPointerArray(MethodTable* type, int length) => NewArrayChecked(type, length);

        [RuntimeExport("RhpNewArray")]
        private static void* NewArraySlow(MethodTable* type, int length) => NewArrayChecked(type, length);

        private static void* NewArrayChecked(MethodTable* type, int length)
        {
            if (length < 0) RuntimeHost.Fail("array allocation with a negative length");
            return ObjectAllocator.AllocateArray(type, (uint)length);
        }

        // No unwinder: an exception is a kernel panic naming its type (via the symbol map) and message.
        [RuntimeExport("RhpThrowEx")]
        private static void Throw(object exception) => RuntimeHost.Unhandled(exception);

        [RuntimeExport("RhpRethrow")]
        private static void Rethrow() => RuntimeHost.Fail("rethrow without an exception in flight");

        [RuntimeExport("RhpFallbackFailFast")]
        private static void FailFast() => RuntimeHost.Fail("stack buffer overrun detected (GS cookie mismatch)");

        [RuntimeExport("RhpReversePInvoke")]
        private static void ReversePInvoke(IntPtr frame) { }

        [RuntimeExport("RhpReversePInvokeReturn")]
        private static void ReversePInvokeReturn(IntPtr frame) { }
    }
}

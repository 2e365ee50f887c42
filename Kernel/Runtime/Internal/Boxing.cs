// Helpers ilc calls by name for boxing and unboxing (dotnet/runtime 10.0, System.Runtime.RuntimeExports).
using System.Runtime.CompilerServices;
using Internal.Runtime;

namespace System.Runtime
{
    internal static unsafe class RuntimeExports
    {
        public static object RhBox(MethodTable* type, ref byte data)
        {
            nint address = (nint)Kernel.Runtime.ObjectAllocator.AllocateObject(type);
            object box = Unsafe.As<nint, object>(ref address);
            Kernel.Lib.Memory.Move((byte*)address + sizeof(nint), Unsafe.AsPointer(ref data), type->BaseSize - (uint)(2 * sizeof(nint)));
            return box;
        }

        public static ref byte RhUnbox2(MethodTable* type, object obj)
        {
            if (obj == null || obj.MethodTable != type) Internal.Runtime.CompilerHelpers.ThrowHelpers.ThrowInvalidCastException();
            return ref Unsafe.As<RawObjectData>(obj).Data;
        }
    }

    // How ilc lays out an object's fields: directly after the MethodTable pointer.
    internal sealed class RawObjectData
    {
#pragma warning disable 649
        public byte Data;
#pragma warning restore 649
    }
}

// Cast and array-store checks ilc calls for `is`, `as`, casts and stores into object arrays.
using System.Runtime.CompilerServices;
using Internal.Runtime;
using Internal.Runtime.CompilerHelpers;

namespace System.Runtime
{
    internal static unsafe class TypeCast
    {
        private static bool IsAssignable(MethodTable* source, MethodTable* target)
        {
            if (source == target) return true;
            if (target->IsInterface)
            {
                MethodTable** map = source->InterfaceMap;
                for (int i = 0; i < source->NumInterfaces; i++)
                    if (map[i] == target) return true;
                return false;
            }
            if (source->IsArray) return false;
            for (MethodTable* t = source->RelatedType; t != null; t = t->RelatedType)
                if (t == target) return true;
            return false;
        }

        private static object Check(MethodTable* target, object obj)
        {
            if (obj == null || IsAssignable(obj.MethodTable, target)) return obj;
            ThrowHelpers.ThrowInvalidCastException();
            return null;
        }

        private static object Test(MethodTable* target, object obj) =>
            obj == null || IsAssignable(obj.MethodTable, target) ? obj : null;

        public static object IsInstanceOfAny(MethodTable* target, object obj) => Test(target, obj);
        public static object IsInstanceOfInterface(MethodTable* target, object obj) => Test(target, obj);
        public static object IsInstanceOfClass(MethodTable* target, object obj) => Test(target, obj);
        public static bool IsInstanceOfException(MethodTable* target, object obj) => obj != null && IsAssignable(obj.MethodTable, target);
        public static object CheckCastAny(MethodTable* target, object obj) => Check(target, obj);
        public static object CheckCastInterface(MethodTable* target, object obj) => Check(target, obj);
        public static object CheckCastClass(MethodTable* target, object obj) => Check(target, obj);
        public static object CheckCastClassSpecial(MethodTable* target, object obj) => Check(target, obj);

        public static void StelemRef(object[] array, nint index, object obj)
        {
            if ((nuint)index >= (nuint)array.Length) ThrowHelpers.ThrowIndexOutOfRangeException();
            if (obj != null && !IsAssignable(obj.MethodTable, array.MethodTable->RelatedType))
                ThrowHelpers.ThrowArrayTypeMismatchException();
            Element(array, index) = obj;
        }

        public static ref object LdelemaRef(object[] array, nint index, MethodTable* elementType)
        {
            if ((nuint)index >= (nuint)array.Length) ThrowHelpers.ThrowIndexOutOfRangeException();
            if (array.MethodTable->RelatedType != elementType) ThrowHelpers.ThrowArrayTypeMismatchException();
            return ref Element(array, index);
        }

        private static ref object Element(object[] array, nint index) =>
            ref Unsafe.As<byte, object>(ref Unsafe.AddByteOffset(ref Unsafe.As<RawArrayData>(array).Data, (nuint)index * (nuint)sizeof(nint)));
    }

    // How ilc lays out an array object after its MethodTable pointer.
    internal sealed class RawArrayData
    {
#pragma warning disable 649
        public uint Length;
        public uint Padding;
        public byte Data;
#pragma warning restore 649
    }
}

using Internal.Runtime;

namespace Kernel.Runtime
{
    /// <summary>
    /// Where an object's references are, from the GC layout (GCDesc) ilc emits just before each MethodTable of a type
    /// with references (dotnet/runtime src/coreclr/gc/gcdesc.h; the encoder is ILCompiler's GCDescEncoder). Read
    /// downwards from the MethodTable:
    ///   [-1]    the series count N.
    ///   N > 0:  N series, each a pair (size, offset) of pointer-sized words below the count, nearest first: the
    ///           references are the words from object + offset, (size + object size) / 8 of them. The size is stored
    ///           relative to the object size, so one series covers an array of references of any length.
    ///   N &lt; 0: an array of structs holding references. [-2] is the offset of the first element's first reference;
    ///           below it, -N pairs of 32-bit (references, bytes to skip), nearest first, repeated element by element
    ///           up to the object's end.
    /// Offsets count from the object reference (the MethodTable pointer); the size counts the 8-byte header slot
    /// before it. Pure: compiled by the host tests too.
    /// </summary>
    public static unsafe class GcLayout
    {
        /// <summary>The header slot before the MethodTable pointer (ObjectAllocator places it; MethodTable.BaseSize counts it).</summary>
        public const uint HeaderBytes = 8;

        /// <summary>The object's size with its header slot: the base size, plus the elements of an array or string.</summary>
        public static ulong SizeOf(byte* obj)
        {
            MethodTable* type = *(MethodTable**)obj;
            ulong size = type->BaseSize;
            if (type->HasComponentSize) size += (ulong)*(uint*)(obj + sizeof(nint)) * type->ComponentSize;
            return size;
        }

        /// <summary>Calls <paramref name="visit"/> with the value of every reference field or element of the object.</summary>
        public static void ForEachReference(byte* obj, delegate*<ulong, void*, void> visit, void* context)
        {
            MethodTable* type = *(MethodTable**)obj;
            if (!type->ContainsGCPointers) return;
            long* desc = (long*)type;
            long series = desc[-1];
            ulong size = SizeOf(obj);
            if (series > 0)
            {
                for (long i = 0; i < series; i++)
                {
                    ulong* slot = (ulong*)(obj + desc[-2 - 2 * i]);
                    ulong count = (ulong)(desc[-3 - 2 * i] + (long)size) / sizeof(ulong);
                    for (ulong j = 0; j < count; j++) visit(slot[j], context);
                }
                return;
            }
            var items = (uint*)(desc - 2);   // items[-2k - 2] = references, items[-2k - 1] = bytes to skip, nearest first
            byte* end = obj + size - HeaderBytes;
            for (byte* cursor = obj + desc[-2]; cursor < end;)
                for (long k = 0; k < -series && cursor < end; k++)
                {
                    uint references = items[-2 * k - 2], skip = items[-2 * k - 1];
                    for (uint j = 0; j < references; j++, cursor += sizeof(ulong)) visit(*(ulong*)cursor, context);
                    cursor += skip;
                }
        }
    }
}

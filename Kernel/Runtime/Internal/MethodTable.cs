// The type descriptor ilc emits for every type (runtime/inc/MethodTable.h in dotnet/runtime 10.0).
// The kernel reads only what allocation, casting and the collector (Kernel/Runtime/GcLayout.cs) need.
using System.Runtime.InteropServices;

namespace Internal.Runtime
{
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct MethodTable
    {
        public ushort ComponentSize;     // element size for arrays and strings, when HasComponentSize
        public ushort Flags;             // upper half of the 32-bit flags word
        public uint BaseSize;            // object size without elements, including the header slot
        public MethodTable* RelatedType; // base type for classes, element type for arrays
        public ushort NumVtableSlots;
        public ushort NumInterfaces;
        public uint HashCode;

        private const ushort HasComponentSizeFlag = 0x8000;
        private const ushort HasPointersFlag = 0x0100;    // EETypeFlags.HasPointersFlag (0x01000000): a GCDesc precedes the MethodTable
        private const ushort ElementTypeMask = 0x7C00;   // EETypeElementType << 10 in the flags word's upper half
        private const ushort ElementTypeShift = 10;
        private const ushort ElementTypeArray = 0x14;    // EETypeElementType.Array
        private const ushort ElementTypeSzArray = 0x18;  // EETypeElementType.SzArray
        private const ushort ElementTypeInterface = 0x1A;

        public bool HasComponentSize => (Flags & HasComponentSizeFlag) != 0;
        public bool ContainsGCPointers => (Flags & HasPointersFlag) != 0;
        private uint ElementType => (uint)(Flags & ElementTypeMask) >> ElementTypeShift;
        public bool IsArray => ElementType == ElementTypeArray || ElementType == ElementTypeSzArray;
        public bool IsInterface => ElementType == ElementTypeInterface;

        // The interface map follows the header and the vtable.
        public MethodTable** InterfaceMap
        {
            get
            {
                fixed (MethodTable* self = &this)
                    return (MethodTable**)((byte*)self + sizeof(MethodTable) + sizeof(nint) * NumVtableSlots);
            }
        }
    }
}

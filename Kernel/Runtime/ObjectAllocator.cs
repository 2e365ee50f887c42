using Internal.Runtime;

namespace Kernel.Runtime
{
    /// <summary>
    /// Turns ilc's allocation requests into heap memory laid out as objects: an 8-byte header slot,
    /// then the MethodTable pointer (the object reference points here), then fields or elements.
    /// MethodTable.BaseSize already counts the header slot (dotnet/runtime MethodTable.h).
    /// </summary>
    public static unsafe class ObjectAllocator
    {
        private const uint HeaderSize = 8;

        public static void* AllocateObject(MethodTable* type) => Place(type, type->BaseSize);

        public static void* AllocateArray(MethodTable* type, uint length)
        {
            ulong size = type->BaseSize + (ulong)length * type->ComponentSize;
            byte* array = Place(type, size);
            *(uint*)(array + sizeof(nint)) = length;
            return array;
        }

        private static byte* Place(MethodTable* type, ulong size)
        {
            byte* memory = (byte*)RuntimeHost.Allocate(size);
            byte* obj = memory + HeaderSize;
            *(MethodTable**)obj = type;
            return obj;
        }
    }
}

using System.Runtime.InteropServices;
using Internal.Runtime;
using Kernel.Memory;
using Kernel.Runtime;

namespace Kernel.Tests.Unit.Fakes;

/// <summary>
/// MethodTables with GC layouts written the way ilc writes them (dotnet/runtime ILCompiler GCDescEncoder: standard
/// series for classes and arrays of references, repeating series for arrays of structs), and objects placed in an
/// ObjectHeap the way Kernel/Runtime/ObjectAllocator.cs places them. Types live for the test run.
/// </summary>
public static unsafe class FakeTypes
{
    const ushort HasComponentSize = 0x8000, HasPointers = 0x0100;
    const int PointerSize = 8;

    /// <summary>A class whose 8-byte fields follow the MethodTable pointer; <paramref name="isReference"/> says which hold references.</summary>
    public static MethodTable* Class(params bool[] isReference)
    {
        uint baseSize = (uint)(GcLayout.HeaderBytes + PointerSize + PointerSize * isReference.Length);
        bool[] cells = [false, .. isReference];   // cell 0 is the MethodTable pointer
        var desc = new List<long>();
        if (isReference.Any(r => r)) EncodeStandard(desc, cells, (int)baseSize);
        return Emit(desc, baseSize, componentSize: 0, hasPointers: desc.Count > 0);
    }

    /// <summary>An array whose elements are structs of 8-byte fields (one field that is a reference: an array of references).</summary>
    public static MethodTable* Array(params bool[] elementIsReference)
    {
        const int offsetToData = 2 * PointerSize;   // MethodTable pointer, length
        var desc = new List<long>();
        if (elementIsReference.All(r => r))
        {
            desc.Add(-(offsetToData + PointerSize));
            desc.Add(offsetToData);
            desc.Add(1);
        }
        else if (elementIsReference.Any(r => r)) EncodeRepeating(desc, elementIsReference, offsetToData);
        return Emit(desc, (uint)(GcLayout.HeaderBytes + 2 * PointerSize), (ushort)(PointerSize * elementIsReference.Length), desc.Count > 0);
    }

    /// <summary>A string: 2-byte components, no references.</summary>
    public static MethodTable* String() => Emit([], (uint)(GcLayout.HeaderBytes + PointerSize + 4 + 2), 2, hasPointers: false);

    /// <summary>An object of <paramref name="type"/> in <paramref name="heap"/>, its reference (the MethodTable pointer's address); null when the heap is full.</summary>
    public static byte* New(ObjectHeap* heap, MethodTable* type, uint length = 0)
    {
        ulong size = type->BaseSize + (ulong)length * type->ComponentSize;
        var cell = (byte*)heap->TryAllocate(size);
        if (cell == null) return null;
        byte* obj = cell + GcLayout.HeaderBytes;
        *(MethodTable**)obj = type;
        if (type->HasComponentSize) *(uint*)(obj + PointerSize) = length;
        return obj;
    }

    // Series from the highest cell down: (series size minus object size, offset), then the count.
    static void EncodeStandard(List<long> desc, bool[] cells, int size)
    {
        int series = 0;
        for (int cell = cells.Length - 1; cell >= 0; cell--)
        {
            if (!cells[cell]) continue;
            series++;
            int bytes = PointerSize;
            while (cell > 0 && cells[cell - 1]) { bytes += PointerSize; cell--; }
            desc.Add(bytes - size);
            desc.Add(cell * PointerSize);
        }
        desc.Add(series);
    }

    // (references, bytes to skip) pairs as 32-bit halves from the highest cell down, then the first reference's offset, then minus the count.
    static void EncodeRepeating(List<long> desc, bool[] cells, int offsetToData)
    {
        int leading = 0;
        while (!cells[leading]) leading++;
        int series = 0, nonPointers = leading;
        var halves = new List<uint>();
        for (int cell = cells.Length - 1; cell >= leading; cell--)
        {
            if (!cells[cell]) { nonPointers++; continue; }
            series++;
            int references = 1;
            while (cell > leading && cells[cell - 1]) { cell--; references++; }
            halves.Add((uint)references);
            halves.Add((uint)(nonPointers * PointerSize));
            nonPointers = 0;
        }
        for (int i = 0; i < halves.Count; i += 2) desc.Add((long)((ulong)halves[i] | (ulong)halves[i + 1] << 32));
        desc.Add(offsetToData + leading * PointerSize);
        desc.Add(-series);
    }

    static MethodTable* Emit(List<long> desc, uint baseSize, ushort componentSize, bool hasPointers)
    {
        var memory = (long*)NativeMemory.AllocZeroed((nuint)(desc.Count * sizeof(long) + sizeof(MethodTable)));
        for (int i = 0; i < desc.Count; i++) memory[i] = desc[i];
        var type = (MethodTable*)(memory + desc.Count);
        type->BaseSize = baseSize;
        type->ComponentSize = componentSize;
        type->Flags = (ushort)((componentSize != 0 ? HasComponentSize : 0) | (hasPointers ? HasPointers : 0));
        return type;
    }
}

// Single-dimensional, zero-based arrays; ilc lays them out as length then elements.
using System.Runtime.CompilerServices;

namespace System
{
    public abstract class Array
    {
#pragma warning disable 649
        private int _numComponents;
#pragma warning restore 649

        public int Length => _numComponents;

        public static unsafe void Clear<T>(T[] array) where T : unmanaged
        {
            fixed (T* p = array)
                Kernel.Lib.Memory.Zero(p, (nuint)array.Length * (nuint)sizeof(T));
        }
    }

    public class Array<T> : Array { }
}

namespace Kernel.Lib
{
    /// <summary>Bit scans for the kernel's bitmaps (CPU sets, slot sets, run-queue priorities). Pure: compiled by the host tests too.</summary>
    public static class Bits
    {
        /// <summary>The index of the lowest set bit; <paramref name="bits"/> must not be 0.</summary>
        public static int LowestSet(ulong bits)
        {
            int index = 0;
            while ((bits & 1) == 0) { bits >>= 1; index++; }
            return index;
        }
    }
}

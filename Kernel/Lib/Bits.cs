namespace Kernel.Lib
{
    /// <summary>Bit scans for the kernel's bitmaps (CPU sets, slot sets, run-queue priorities, object heap pages). Pure: compiled by the host tests too.</summary>
    public static class Bits
    {
        /// <summary>The index of the lowest set bit; <paramref name="bits"/> must not be 0.</summary>
        public static int LowestSet(ulong bits)
        {
            int index = 0;
            while ((bits & 1) == 0) { bits >>= 1; index++; }
            return index;
        }

        /// <summary>How many bits are set (the SWAR population count).</summary>
        public static int Count(ulong bits)
        {
            bits -= (bits >> 1) & 0x5555555555555555UL;
            bits = (bits & 0x3333333333333333UL) + ((bits >> 2) & 0x3333333333333333UL);
            bits = (bits + (bits >> 4)) & 0x0F0F0F0F0F0F0F0FUL;
            return (int)((bits * 0x0101010101010101UL) >> 56);
        }
    }
}

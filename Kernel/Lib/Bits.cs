namespace Kernel.Lib
{
    /// <summary>Bit scans for the kernel's bitmaps (CPU sets, slot sets, run-queue priorities, object heap pages). Pure: compiled by the host tests too.</summary>
    public static class Bits
    {
        /// <summary>The index of the lowest set bit; <paramref name="bits"/> must not be 0.</summary>
        public static int LowestSet(ulong bits)
        {
            int index = 0;   // halve the window six times: no loop over 64 bits (an object heap's allocation runs this)
            if ((bits & 0xFFFF_FFFF) == 0) { index += 32; bits >>= 32; }
            if ((bits & 0xFFFF) == 0) { index += 16; bits >>= 16; }
            if ((bits & 0xFF) == 0) { index += 8; bits >>= 8; }
            if ((bits & 0xF) == 0) { index += 4; bits >>= 4; }
            if ((bits & 0x3) == 0) { index += 2; bits >>= 2; }
            if ((bits & 0x1) == 0) index += 1;
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

namespace Kernel.Lib
{
    /// <summary>
    /// Block memory operations. ilc lowers struct and array copies to these (through the corelib's
    /// SpanHelpers), so they must not themselves contain copies of structs.
    /// Pure: compiled by the host tests too.
    /// </summary>
    public static unsafe class Memory
    {
        public static void Zero(void* destination, nuint byteCount)
        {
            byte* d = (byte*)destination;
            while (byteCount > 0 && ((nuint)d & 7) != 0) { *d++ = 0; byteCount--; }
            for (; byteCount >= 8; byteCount -= 8, d += 8) *(ulong*)d = 0;
            while (byteCount-- > 0) *d++ = 0;
        }

        /// <summary>Copies correctly when the ranges overlap, like memmove.</summary>
        public static void Move(void* destination, void* source, nuint byteCount)
        {
            byte* d = (byte*)destination;
            byte* s = (byte*)source;
            if (d == s || byteCount == 0) return;
            if (d < s || d >= s + byteCount)
            {
                if ((((nuint)d | (nuint)s) & 7) == 0)
                    for (; byteCount >= 8; byteCount -= 8, d += 8, s += 8) *(ulong*)d = *(ulong*)s;
                for (nuint i = 0; i < byteCount; i++) d[i] = s[i];
            }
            else
            {
                while (byteCount-- > 0) d[byteCount] = s[byteCount];
            }
        }

        public static bool Equal(void* a, void* b, nuint byteCount)
        {
            for (nuint i = 0; i < byteCount; i++)
                if (((byte*)a)[i] != ((byte*)b)[i]) return false;
            return true;
        }
    }
}

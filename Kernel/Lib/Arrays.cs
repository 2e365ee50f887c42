namespace Kernel.Lib
{
    /// <summary>Array helpers the kernel's parsers share. Pure: compiled by the host tests and tools/AcpiTool too.</summary>
    public static class Arrays
    {
        /// <summary>The first <paramref name="count"/> items: the array itself when it holds exactly that many, else a copy.</summary>
        public static T[] Prefix<T>(T[] items, int count)
        {
            if (count == items.Length) return items;
            var prefix = new T[count];
            for (int i = 0; i < count; i++) prefix[i] = items[i];
            return prefix;
        }
    }
}

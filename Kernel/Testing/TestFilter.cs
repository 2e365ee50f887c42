namespace Kernel.Testing
{
    /// <summary>
    /// Which tests a `selftest=` value selects: a comma-separated list of prefixes of "suite.name" (`smp,ipi.Round`);
    /// a test runs if any prefix matches; an empty value or an empty list selects every test. Compared in place, with
    /// no allocation: the shell runs tests again and again. The host boot tests use the same code to know which
    /// results a boot must report.
    /// </summary>
    public static class TestFilter
    {
        public static bool Matches(string suite, string name, string filter)
        {
            if (filter == null || filter.Length == 0) return true;
            int start = 0;
            bool anyPrefix = false;
            while (start <= filter.Length)
            {
                int end = start;
                while (end < filter.Length && filter[end] != ',') end++;
                if (end > start)
                {
                    anyPrefix = true;
                    if (PrefixMatches(suite, name, filter, start, end)) return true;
                }
                start = end + 1;
            }
            return !anyPrefix;
        }

        // Whether filter[start..end) is a prefix of "suite.name".
        private static bool PrefixMatches(string suite, string name, string filter, int start, int end)
        {
            for (int i = 0; i < end - start; i++)
            {
                int inName = i - suite.Length - 1;
                char c = i < suite.Length ? suite[i] : inName < 0 ? '.' : inName < name.Length ? name[inName] : '\0';
                if (c != filter[start + i]) return false;
            }
            return true;
        }
    }
}

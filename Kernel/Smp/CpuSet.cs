namespace Kernel.Smp
{
    /// <summary>A set of CPUs by dense index: one bit each, which is why Cpus.MaxCpus is 64.</summary>
    public struct CpuSet
    {
        private ulong _bits;

        public static CpuSet Of(int cpu)
        {
            var set = new CpuSet();
            set.Add(cpu);
            return set;
        }

        /// <summary>CPUs 0 .. count-1.</summary>
        public static CpuSet FirstN(int count) => new CpuSet { _bits = count >= 64 ? ~0UL : (1UL << count) - 1 };

        public static CpuSet FromMask(ulong mask) => new CpuSet { _bits = mask };

        /// <summary>Bit n set for CPU n.</summary>
        public ulong Mask => _bits;

        public void Add(int cpu) => _bits |= 1UL << cpu;
        public void Remove(int cpu) => _bits &= ~(1UL << cpu);
        public bool Contains(int cpu) => (uint)cpu < 64 && (_bits & (1UL << cpu)) != 0;
        public bool IsEmpty => _bits == 0;

        public int Count
        {
            get
            {
                int count = 0;
                for (ulong bits = _bits; bits != 0; bits &= bits - 1) count++;
                return count;
            }
        }
    }
}

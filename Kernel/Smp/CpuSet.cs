using System.Threading;

namespace Kernel.Smp
{
    /// <summary>
    /// A set of CPUs by dense index, one bit each, as wide as the MaxCpus build setting (Linux's cpumask_t is
    /// NR_CPUS bits the same way). A value type with no allocation: copy it, or pass it by <c>in</c> where it is
    /// wide. Sets shared between CPUs are written under a lock with <see cref="Publish"/> and read without it
    /// bit by bit (<see cref="ContainsShared"/>): one word's store and load are single-copy atomic. Pure:
    /// compiled by the host tests too.
    /// </summary>
    public unsafe struct CpuSet
    {
        public const int Capacity = BuildConfiguration.MaxCpus;
        private const int Words = (Capacity + 63) / 64;

        private fixed ulong _words[Words];

        public static CpuSet Of(int cpu)
        {
            var set = new CpuSet();
            set.Add(cpu);
            return set;
        }

        /// <summary>CPUs 0 .. count-1.</summary>
        public static CpuSet FirstN(int count)
        {
            var set = new CpuSet();
            if (count > Capacity) count = Capacity;
            for (int word = 0; word < count / 64; word++) set._words[word] = ~0UL;
            if (count % 64 != 0) set._words[count / 64] = (1UL << (count % 64)) - 1;
            return set;
        }

        public void Add(int cpu)
        {
            if ((uint)cpu < Capacity) _words[cpu / 64] |= Bit(cpu);
        }

        public void Remove(int cpu)
        {
            if ((uint)cpu < Capacity) _words[cpu / 64] &= ~Bit(cpu);
        }

        public bool Contains(int cpu) => (uint)cpu < Capacity && (_words[cpu / 64] & Bit(cpu)) != 0;

        public bool IsEmpty
        {
            get
            {
                for (int word = 0; word < Words; word++)
                    if (_words[word] != 0) return false;
                return true;
            }
        }

        public int Count
        {
            get
            {
                int count = 0;
                for (int word = 0; word < Words; word++)
                    for (ulong bits = _words[word]; bits != 0; bits &= bits - 1) count++;
                return count;
            }
        }

        /// <summary>The first member at or after <paramref name="cpu"/>, or -1: <c>for (int c = s.Next(0); c >= 0; c = s.Next(c + 1))</c>.</summary>
        public int Next(int cpu)
        {
            if (cpu < 0) cpu = 0;
            for (int word = cpu / 64; word < Words; word++)
            {
                ulong bits = _words[word];
                if (word == cpu / 64) bits &= ~0UL << (cpu % 64);
                if (bits != 0) return word * 64 + Lib.Bits.LowestSet(bits);
            }
            return -1;
        }

        public static CpuSet Intersection(in CpuSet a, in CpuSet b)
        {
            var result = new CpuSet();
            for (int word = 0; word < Words; word++) result._words[word] = a._words[word] & b._words[word];
            return result;
        }

        public bool Overlaps(in CpuSet other)
        {
            for (int word = 0; word < Words; word++)
                if ((_words[word] & other._words[word]) != 0) return true;
            return false;
        }

        public bool SetEquals(in CpuSet other)
        {
            for (int word = 0; word < Words; word++)
                if (_words[word] != other._words[word]) return false;
            return true;
        }

        /// <summary>Adds or removes a CPU in a set other CPUs read without the lock its writers hold: one ordered word store.</summary>
        public void Publish(int cpu, bool member)
        {
            if ((uint)cpu >= Capacity) return;
            ulong word = _words[cpu / 64];
            Volatile.Write(ref _words[cpu / 64], member ? word | Bit(cpu) : word & ~Bit(cpu));
        }

        /// <summary>Membership in a set written with <see cref="Publish"/>, read without the writers' lock.</summary>
        public bool ContainsShared(int cpu) => (uint)cpu < Capacity && (Volatile.Read(ref _words[cpu / 64]) & Bit(cpu)) != 0;

        /// <summary>CPUs 0–63 as a mask (bit n = CPU n), for reports.</summary>
        public ulong FirstWord => _words[0];

        private static ulong Bit(int cpu) => 1UL << (cpu % 64);
    }
}

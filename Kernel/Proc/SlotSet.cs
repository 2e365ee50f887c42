namespace Kernel.Proc
{
    /// <summary>
    /// A set of process-table slots, one bit each: a process's pending notifications (slot n: the process in slot n
    /// notified it). Made with the table and reused, never per call. Adding and removing are O(1); finding the
    /// lowest member scans words, and returns at once when the set is empty (the common case for a receiver).
    /// </summary>
    public sealed class SlotSet
    {
        private const int BitsPerWord = 64;

        private readonly ulong[] _words;
        private int _count;

        public SlotSet(int slots) => _words = new ulong[(slots + BitsPerWord - 1) / BitsPerWord];

        public int Count => _count;

        public bool Contains(int slot) => (_words[slot / BitsPerWord] & Bit(slot)) != 0;

        /// <summary>Adds a slot; adding one already there changes nothing.</summary>
        public void Add(int slot)
        {
            if (Contains(slot)) return;
            _words[slot / BitsPerWord] |= Bit(slot);
            _count++;
        }

        /// <summary>Removes a slot; false if it was not there.</summary>
        public bool Remove(int slot)
        {
            if (!Contains(slot)) return false;
            _words[slot / BitsPerWord] &= ~Bit(slot);
            _count--;
            return true;
        }

        /// <summary>The lowest slot in the set, or -1 if it is empty.</summary>
        public int Lowest
        {
            get
            {
                if (_count == 0) return -1;
                int index = 0;
                while (_words[index] == 0) index++;
                return index * BitsPerWord + Lib.Bits.LowestSet(_words[index]);
            }
        }

        public void Clear()
        {
            if (_count == 0) return;
            for (int i = 0; i < _words.Length; i++) _words[i] = 0;
            _count = 0;
        }

        private static ulong Bit(int slot) => 1UL << (slot % BitsPerWord);
    }
}

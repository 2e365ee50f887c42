namespace Kernel.Proc
{
    /// <summary>
    /// One CPU's runnable processes: a FIFO per priority (0 is the highest) and a bitmap of the non-empty
    /// ones, so picking the next process is a bit scan, as in MINIX's per-CPU run queues. Members are
    /// process slots; a slot is in at most one queue at a time, so all queues can link their members through
    /// one array, and its memory grows with the slots rather than with CPUs × slots.
    /// </summary>
    public sealed class RunQueue
    {
        public const int Priorities = 8;
        private const int Nil = -1;

        private readonly int[] _next;
        private readonly int[] _head = new int[Priorities];
        private readonly int[] _tail = new int[Priorities];
        private readonly int[] _lengths = new int[Priorities];
        private uint _nonEmpty;
        private int _count;

        /// <summary>A queue whose members are linked through <paramref name="links"/>, one entry per slot, shared with the other queues.</summary>
        public RunQueue(int[] links)
        {
            _next = links;
            for (int i = 0; i < Priorities; i++) _head[i] = _tail[i] = Nil;
        }

        /// <summary>Processes waiting (read without the lock by idle CPUs deciding whether to sleep).</summary>
        public int Count => System.Threading.Volatile.Read(ref _count);

        public int LengthAt(int priority) => _lengths[priority];

        /// <summary>The highest priority with a waiting process, or Priorities when empty.</summary>
        public int HighestPriority => _nonEmpty == 0 ? Priorities : Lib.Bits.LowestSet(_nonEmpty);

        public void Enqueue(int slot, int priority)
        {
            _next[slot] = Nil;
            if (_tail[priority] == Nil) _head[priority] = slot;
            else _next[_tail[priority]] = slot;
            _tail[priority] = slot;
            Added(priority);
        }

        /// <summary>Puts a process first in its priority (one preempted before its quantum ran out).</summary>
        public void EnqueueFront(int slot, int priority)
        {
            _next[slot] = _head[priority];
            _head[priority] = slot;
            if (_tail[priority] == Nil) _tail[priority] = slot;
            Added(priority);
        }

        /// <summary>Takes the first process of the highest non-empty priority; -1 if there is none.</summary>
        public int Dequeue()
        {
            if (_nonEmpty == 0) return Nil;
            int priority = Lib.Bits.LowestSet(_nonEmpty);
            int slot = _head[priority];
            _head[priority] = _next[slot];
            if (_head[priority] == Nil) _tail[priority] = Nil;
            Removed(priority);
            return slot;
        }

        /// <summary>Removes a process queued at <paramref name="priority"/>; false if it is not there.</summary>
        public bool Remove(int slot, int priority)
        {
            int previous = Nil;
            for (int at = _head[priority]; at != Nil; previous = at, at = _next[at])
            {
                if (at != slot) continue;
                if (previous == Nil) _head[priority] = _next[at];
                else _next[previous] = _next[at];
                if (_tail[priority] == at) _tail[priority] = previous;
                Removed(priority);
                return true;
            }
            return false;
        }

        /// <summary>The first process at a priority (-1 if none); with Next, walks a level without changing it.</summary>
        public int First(int priority) => _head[priority];

        public int Next(int slot) => _next[slot];

        private void Added(int priority)
        {
            _lengths[priority]++;
            _nonEmpty |= 1u << priority;
            System.Threading.Volatile.Write(ref _count, _count + 1);
        }

        private void Removed(int priority)
        {
            if (--_lengths[priority] == 0) _nonEmpty &= ~(1u << priority);
            System.Threading.Volatile.Write(ref _count, _count - 1);
        }
    }
}

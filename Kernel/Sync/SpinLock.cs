using System.Runtime.CompilerServices;
using Kernel.Arch;
using Kernel.Smp;

namespace Kernel.Sync
{
    /// <summary>
    /// A ticket lock: FIFO, so no CPU starves, and a CPU that takes its ticket waits for at most the
    /// holders ahead of it. Acquire takes a ticket with one atomic fetch-and-add and waits until the lock
    /// serves it; Release serves the next ticket. How both wait and serve, spinning or halting until kicked,
    /// is Kernel/Sync/SpinThenHalt.cs's, chosen at boot. Use AcquireIrqSave when an interrupt handler on the
    /// same CPU could want the lock.
    /// With LOCK_DEBUG (Debug builds) the lock records its owner CPU and where it was taken, and taking
    /// a lock this CPU holds, or releasing one it does not, panics naming both places. A uniprocessor build
    /// (MaxCpus=1) takes no ticket: acquiring marks the lock held, as MINIX's UP configuration compiles its locks away.
    /// </summary>
    public unsafe struct SpinLock
    {
        private TicketLock _words;
#if LOCK_DEBUG
        private int _ownerPlusOne;      // 0 = free, so a zeroed lock is a valid free lock
        private ulong _ownerFile;       // the address of a frozen string literal (CallerFilePath); objects never move
        private int _ownerLine;
#endif

        /// <summary>Takes the lock; returns how many holders were ahead of this CPU when it drew its ticket.</summary>
        public int Acquire([CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        {
#if LOCK_DEBUG
            CheckNotHeldHere(file, line);
#endif
            int ahead = 0;
            if (BuildConfiguration.Uniprocessor)
            {
                // No other CPU: the lock is free (a holder on this CPU is the LOCK_DEBUG check's deadlock), so taking
                // it is marking it held, with no atomic, no ticket, no spin: MINIX's uniprocessor build.
                _words.Next = _words.Serving + 1;
            }
            else
            {
                int ticket = Atomic.TakeTicket(ref _words.Next);
                ahead = ticket - Atomic.Read(ref _words.Serving);
                if (ahead != 0) SpinThenHalt.WaitForTicket(Words, ticket, serviceCalls: false);
            }
#if LOCK_DEBUG
            RecordOwner(file, line);
#endif
            return ahead;
        }

        /// <summary>Takes the lock if it is free right now.</summary>
        public bool TryAcquire([CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        {
            int serving = Atomic.Read(ref _words.Serving);
            if (Atomic.CompareExchange(ref _words.Next, serving + 1, serving) != serving) return false;
#if LOCK_DEBUG
            RecordOwner(file, line);
#endif
            return true;
        }

        public void Release([CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        {
#if LOCK_DEBUG
            CheckHeldHere(file, line);
            _ownerPlusOne = 0;
#endif
            if (BuildConfiguration.Uniprocessor) Atomic.Write(ref _words.Serving, _words.Serving + 1);
            else SpinThenHalt.ReleaseTicket(Words);
        }

        public bool IsHeld => Atomic.Read(ref _words.Next) != Atomic.Read(ref _words.Serving);

        // Spinlocks live in statics and kernel objects, neither of which ever moves.
        private TicketLock* Words => (TicketLock*)Unsafe.AsPointer(ref _words);

        /// <summary>Disables interrupts, then acquires; returns what ReleaseIrqRestore must be given back.</summary>
        public InterruptState AcquireIrqSave([CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        {
            InterruptState state = InterruptState.Disable();
            Acquire(file, line);
            return state;
        }

        public void ReleaseIrqRestore(InterruptState state, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        {
            Release(file, line);
            state.Restore();
        }

#if LOCK_DEBUG
        private void RecordOwner(string file, int line)
        {
            _ownerPlusOne = (int)KernelCpu.Current->Index + 1;
            _ownerFile = LockDiagnostics.AddressOf(file);
            _ownerLine = line;
        }

        private void CheckNotHeldHere(string file, int line)
        {
            if (_ownerPlusOne == (int)KernelCpu.Current->Index + 1)
                LockDiagnostics.Fail("spinlock taken again by the CPU that holds it", _ownerPlusOne - 1, _ownerFile, _ownerLine, file, line);
        }

        private void CheckHeldHere(string file, int line)
        {
            if (_ownerPlusOne != (int)KernelCpu.Current->Index + 1)
                LockDiagnostics.Fail("spinlock released by a CPU that does not hold it", _ownerPlusOne - 1, _ownerFile, _ownerLine, file, line);
        }
#endif
    }
}

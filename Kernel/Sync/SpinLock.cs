using System.Threading;
using Kernel.Arch;

namespace Kernel.Sync
{
    /// <summary>
    /// A ticket lock: FIFO, so no CPU starves. Acquire takes a ticket with one atomic fetch-and-add and
    /// spins (with `pause`) until the lock serves it; Release is a plain ordered store, which x86's
    /// total store order makes sufficient (SDM Vol. 3A §9.2.2 "Memory Ordering in P6 and More Recent
    /// Processor Families"). Use AcquireIrqSave when an interrupt handler on the same CPU could want
    /// the lock too.
    /// </summary>
    public struct SpinLock
    {
        private int _next;
        private int _serving;

        public void Acquire()
        {
            int ticket = Interlocked.ExchangeAdd(ref _next, 1);
            while (Volatile.Read(ref _serving) != ticket) CpuNative.Pause();
        }

        /// <summary>Takes the lock if it is free right now.</summary>
        public bool TryAcquire()
        {
            int serving = Volatile.Read(ref _serving);
            return Interlocked.CompareExchange(ref _next, serving + 1, serving) == serving;
        }

        public void Release() => Volatile.Write(ref _serving, _serving + 1);

        public bool IsHeld => Volatile.Read(ref _next) != Volatile.Read(ref _serving);

        /// <summary>Disables interrupts, then acquires; returns what ReleaseIrqRestore must be given back.</summary>
        public InterruptState AcquireIrqSave()
        {
            InterruptState state = InterruptState.Disable();
            Acquire();
            return state;
        }

        public void ReleaseIrqRestore(InterruptState state)
        {
            Release();
            state.Restore();
        }
    }

    /// <summary>Whether interrupts were enabled before a section disabled them (RFLAGS.IF, SDM Vol. 1 §3.4.3.3).</summary>
    public readonly struct InterruptState
    {
        private const ulong InterruptFlag = 1UL << 9;
        private readonly bool _wasEnabled;

        private InterruptState(bool wasEnabled) { _wasEnabled = wasEnabled; }

        public static InterruptState Disable()
        {
            bool enabled = (CpuNative.ReadRflags() & InterruptFlag) != 0;
            CpuNative.DisableInterrupts();
            return new InterruptState(enabled);
        }

        public static bool Enabled => (CpuNative.ReadRflags() & InterruptFlag) != 0;

        public void Restore()
        {
            if (_wasEnabled) CpuNative.EnableInterrupts();
        }
    }
}

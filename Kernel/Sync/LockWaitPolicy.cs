using Kernel.Lib;

namespace Kernel.Sync
{
    /// <summary>How a CPU waits for a ticket lock held by another.</summary>
    public enum LockWaitVariant
    {
        Spin,            // spin until served: on bare metal the holder runs, and a halt's wake-up costs more than it saves
        SpinThenHalt,    // spin a bounded time, then halt until the releaser kicks: under a hypervisor (paravirtual locks)
    }

    /// <summary>
    /// The choice between the lock-wait variants, made once at boot (Kernel/Sync/SpinThenHalt.cs applies it as an
    /// alternative). Pure: compiled by the host tests too.
    /// </summary>
    public static class LockWaitPolicy
    {
        /// <summary>
        /// `pvlocks=on|off` decides; without it, a hypervisor (CPUID.01H:ECX[31], SDM Vol. 2A "CPUID": reserved for
        /// hypervisors to set) means halting. <paramref name="reason"/> says why, for the boot log; <paramref name="warning"/>
        /// is set when the option's value was neither on nor off (and then ignored).
        /// </summary>
        public static LockWaitVariant Choose(bool underHypervisor, bool optionGiven, string option, out string reason, out string warning)
        {
            warning = null;
            if (optionGiven)
            {
                if (option == "on") { reason = "pvlocks=on"; return LockWaitVariant.SpinThenHalt; }
                if (option == "off") { reason = "pvlocks=off"; return LockWaitVariant.Spin; }
                warning = TextBuffer.Of($"pvlocks='{option}' is not on|off: ignored");
            }
            if (underHypervisor)
            {
                reason = "a hypervisor (CPUID.01H:ECX[31])";
                return LockWaitVariant.SpinThenHalt;
            }
            reason = "no hypervisor (CPUID.01H:ECX[31] clear)";
            return LockWaitVariant.Spin;
        }

        /// <summary>How much longer than the others the waiter next in line spins before it halts.</summary>
        public const int NextInLineSpinFactor = 8;

        /// <summary>
        /// Whether a waiter that has spun <paramref name="spun"/> cycles should halt. A lock's waiter next in line (only
        /// the holder ahead of it) is the one a release hands the lock to, so it keeps spinning longest: it halts only when
        /// the hold itself is long. Any other waiter halts after <paramref name="budget"/>: a lock's is kicked when it
        /// becomes next in line, a hold before its turn.
        /// </summary>
        public static bool ShouldHalt(bool nextInLine, ulong spun, ulong budget) =>
            spun >= (nextInLine ? budget * NextInLineSpinFactor : budget);

        /// <summary>
        /// Whether a release that made <paramref name="served"/> the ticket served kicks the waiter halted for
        /// <paramref name="awaited"/>: the one whose turn it is, and the one next in line, so it runs again by its turn.
        /// Tickets wrap, as the dispenser's int does.
        /// </summary>
        public static bool ReleaseKicks(int awaited, int served) => awaited == served || awaited == unchecked(served + 1);
    }
}

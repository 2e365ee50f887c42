namespace Kernel.Proc
{
    /// <summary>
    /// MINIX's deadlock_check: before a process blocks on a specific partner, follow the chain of processes each
    /// blocked on the next; if it leads back to the caller, every process in it would wait forever, so the call is
    /// refused (ELOCKED). waitsFor[slot] is the slot a blocked process waits on (sending to it, or receiving from
    /// it alone), or -1 for a process that is not blocked or will receive from anyone — such a process can still
    /// be woken, so a chain reaching it is no deadlock.
    /// </summary>
    public static class DeadlockCheck
    {
        public static bool WouldDeadlock(int caller, int partner, int[] waitsFor)
        {
            int at = partner;
            for (int steps = 0; steps <= waitsFor.Length; steps++)
            {
                if (at == caller) return true;
                if (at < 0 || at >= waitsFor.Length) return false;
                at = waitsFor[at];
            }
            return false;   // a cycle not through the caller: refused when it was formed, so not reachable
        }
    }
}

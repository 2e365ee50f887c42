namespace Kernel.Proc
{
    /// <summary>
    /// Process names as IPC sees them, after MINIX's endpoints: slot + generation × Slots. A slot is reused
    /// with the next generation, so a message for a process that died never reaches the slot's new owner:
    /// the stale endpoint simply no longer matches. Negative values are the special endpoints.
    /// </summary>
    public static class Endpoint
    {
        public const int Slots = 64;                  // process-table size: one bit each in a notification mask
        public const int Any = -1;                    // Receive from anyone
        public const int None = -2;                   // no process
        public const int MaxGeneration = int.MaxValue / Slots - 1;

        public static int Make(int slot, int generation) => generation * Slots + slot;

        public static int SlotOf(int endpoint) => endpoint % Slots;

        public static int GenerationOf(int endpoint) => endpoint / Slots;

        /// <summary>Whether <paramref name="endpoint"/> can name a process at all (not whether one lives there).</summary>
        public static bool IsProcess(int endpoint) => endpoint >= 0 && GenerationOf(endpoint) <= MaxGeneration;

        public static int NextGeneration(int generation) => generation >= MaxGeneration ? 1 : generation + 1;
    }
}

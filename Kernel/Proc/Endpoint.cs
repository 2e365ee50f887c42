namespace Kernel.Proc
{
    /// <summary>
    /// Process names as IPC sees them, after MINIX's endpoints: slot + generation × Slots. A slot is reused
    /// with the next generation, so a message for a process that died never reaches the slot's new owner:
    /// the stale endpoint simply no longer matches. Negative values are the special endpoints.
    /// </summary>
    public static class Endpoint
    {
        public const int Any = -1;                    // Receive from anyone
        public const int None = -2;                   // no process

        /// <summary>The process table's size, set once by <see cref="SizeTable"/> before any endpoint is made.</summary>
        [ProcessApi]
        public static int Slots { get; private set; }

        /// <summary>The last generation before wrapping to 1: the largest endpoint still fits in an int.</summary>
        public static int MaxGeneration { get; private set; }

        /// <summary>
        /// Fixes the encoding for a table of <paramref name="slots"/> slots. Every endpoint depends on it, so it is
        /// called once, when the table is made; a bigger table leaves fewer generations before a slot's wrap.
        /// </summary>
        public static void SizeTable(int slots)
        {
            Slots = slots;
            MaxGeneration = int.MaxValue / slots - 1;
        }

        public static int Make(int slot, int generation) => generation * Slots + slot;

        [ProcessApi]
        public static int SlotOf(int endpoint) => endpoint % Slots;

        [ProcessApi]
        public static int GenerationOf(int endpoint) => endpoint / Slots;

        /// <summary>Whether <paramref name="endpoint"/> can name a process at all (not whether one lives there).</summary>
        [ProcessApi]
        public static bool IsProcess(int endpoint) => endpoint >= 0 && GenerationOf(endpoint) <= MaxGeneration;

        public static int NextGeneration(int generation) => generation >= MaxGeneration ? 1 : generation + 1;
    }
}

using Kernel.Lib;
using Kernel.Sync;
using Kernel.Arch;

namespace Kernel.Diagnostics
{
    /// <summary>
    /// The last <see cref="Lines"/> log lines, kept for the shell's `log` (Linux's dmesg buffer, in whole lines).
    /// Each line has a sequence number; a reader copies lines out by number and learns when the ones it wanted
    /// were overwritten meanwhile. Allocated once; appending costs a copy under a lock with interrupts off.
    /// </summary>
    public static unsafe class LogRing
    {
        public const int Lines = 128;
        private const int LineChars = TextBuffer.Capacity;

        private static readonly char[] s_chars = new char[Lines * LineChars];
        private static readonly int[] s_lengths = new int[Lines];
        private static ulong s_written;
        private static SpinLock s_lock;

        /// <summary>Lines appended since boot: the next line's sequence number.</summary>
        public static ulong Written => s_written;

        /// <summary>The oldest sequence number still held.</summary>
        public static ulong Oldest => s_written > Lines ? s_written - Lines : 0;

        public static void Append(ref TextBuffer line)
        {
            if (s_chars == null) return;   // before class constructors run: the serial console has it
            InterruptState state = s_lock.AcquireIrqSave();
            int slot = (int)(s_written % Lines);
            fixed (char* chars = &s_chars[slot * LineChars]) s_lengths[slot] = line.CopyTo(chars, LineChars);
            s_written++;
            s_lock.ReleaseIrqRestore(state);
        }

        /// <summary>Copies line <paramref name="sequence"/> into <paramref name="into"/>; false if it is gone or not written yet.</summary>
        public static bool TryCopy(ulong sequence, ref TextBuffer into)
        {
            InterruptState state = s_lock.AcquireIrqSave();
            bool held = sequence < s_written && sequence >= Oldest;
            if (held)
            {
                int slot = (int)(sequence % Lines);
                fixed (char* chars = &s_chars[slot * LineChars]) into.Append(chars, s_lengths[slot]);
            }
            s_lock.ReleaseIrqRestore(state);
            return held;
        }
    }
}

using Kernel.Arch;
using Kernel.Lib;
using Kernel.Sync;

namespace Kernel.Diagnostics
{
    /// <summary>
    /// Where kernel text goes: the serial port and the screen. Whole lines only, each
    /// written under a lock with interrupts off, so lines from several CPUs never interleave and the
    /// serial protocol the host tests parse stays line-based. A panicking CPU stops waiting for the
    /// lock after a bounded time: the holder may be the CPU that just died. A fault or NMI on the CPU that is
    /// inside a write (its report is a write too) writes without the lock: waiting for itself would be for ever.
    /// </summary>
    public static unsafe class Console
    {
        // Well inside Panic's wait for the other CPUs' reports (1 s): each of them waits this long when the lock's holder
        // is the CPU that died. A time, not a spin count: under TCG on a loaded host 10 million tries took over a second.
        private const ulong PanicLockMicros = 200_000;

        private static SpinLock s_lock;
        private static int s_writerPlusOne;   // the CPU holding the lock, + 1
        private static bool s_panicking;
        private static bool s_atLineStart = true;

        public static void WriteLine(string text)
        {
            InterruptState state = Lock(out bool locked);
            StartLine();
            for (int i = 0; i < text.Length; i++) Put(text[i]);
            Put('\n');
            Unlock(state, locked);
        }

        public static void WriteLine(ref TextBuffer line)
        {
            char* chars = stackalloc char[TextBuffer.Capacity + 1];
            int count = line.CopyTo(chars, TextBuffer.Capacity + 1);
            InterruptState state = Lock(out bool locked);
            StartLine();
            for (int i = 0; i < count; i++) Put(chars[i]);
            Put('\n');
            Unlock(state, locked);
        }

        /// <summary>Text as it is, no line end added: a prompt, an echo, a terminal control sequence.</summary>
        public static void Write(byte* text, int count)
        {
            InterruptState state = Lock(out bool locked);
            for (int i = 0; i < count; i++) Put((char)text[i]);
            Unlock(state, locked);
        }

        // A whole line written while the shell's prompt is on screen starts below it instead of after it.
        private static void StartLine()
        {
            if (!s_atLineStart) Put('\n');
        }

        // Every character of console output passes here, lock held.
        private static void Put(char c)
        {
            s_atLineStart = c == '\n';
            Serial.Write(c);
            Screen.Put(c);
        }

        /// <summary>From now on, lock acquisition gives up after a bounded wait (Panic calls this).</summary>
        public static void EnterPanicMode() => s_panicking = true;

        /// <summary>Runs <paramref name="action"/> the way a write runs, console lock held (test.console-fault faults in it).</summary>
        public static void RunLocked(delegate*<void> action)
        {
            InterruptState state = Lock(out bool locked);
            action();
            Unlock(state, locked);
        }

        private static InterruptState Lock(out bool locked)
        {
            InterruptState state = InterruptState.Disable();
            int self = (int)PerCpu.CurrentIndex + 1;
            locked = false;
            if (Atomic.Read(ref s_writerPlusOne) == self) return state;   // a fault or NMI inside this CPU's own write
            if (!s_panicking) s_lock.Acquire();
            else
            {
                ulong deadline = Tsc.DeadlineAfter(PanicLockMicros);
                while (!(locked = s_lock.TryAcquire()) && Tsc.Read() < deadline) CpuNative.Pause();
                if (!locked) return state;
            }
            locked = true;
            s_writerPlusOne = self;
            return state;
        }

        // The screen is drawn once per write, not per character: a line that scrolls redraws the screen once.
        private static void Unlock(InterruptState state, bool locked)
        {
            Screen.Flush();
            if (locked)
            {
                s_writerPlusOne = 0;
                s_lock.Release();
            }
            state.Restore();
        }
    }
}

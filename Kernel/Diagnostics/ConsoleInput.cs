using Kernel.Proc;
using Kernel.Sync;
using Kernel.Arch;

namespace Kernel.Diagnostics
{
    /// <summary>
    /// Bytes typed at the console, from every input device (COM1, the PS/2 keyboard), in one ring. Device
    /// interrupt handlers push what they read and notify the reader — the console server — which takes the
    /// bytes out from process context. Keys are bytes as a terminal sends them: ASCII, with the cursor keys
    /// as VT100 escape sequences (ESC [ A …), so one line editor serves the serial line and the keyboard.
    /// A full ring drops new bytes and counts them: typing faster than the shell reads loses keys, never locks up.
    /// </summary>
    public static unsafe class ConsoleInput
    {
        private const int Capacity = 256;

        private static readonly byte[] s_ring = new byte[Capacity];
        private static int s_head, s_count;
        private static SpinLock s_lock;
        private static int s_reader = Endpoint.None;

        public static ulong Dropped { get; private set; }

        /// <summary>The process notified when bytes arrive (the console server).</summary>
        public static void SetReader(int endpoint) => s_reader = endpoint;

        /// <summary>Device side (KernelEntry.ConsoleInput), from an interrupt handler under the big kernel lock: queue the bytes, wake the reader once.</summary>
        public static void Deliver(byte* bytes, int count)
        {
            for (int i = 0; i < count; i++) Push(bytes[i]);
            if (s_reader != Endpoint.None) Ipc.NotifyFromKernel(s_reader);
        }

        private static void Push(byte value)
        {
            InterruptState state = s_lock.AcquireIrqSave();
            if (s_count == Capacity) Dropped++;
            else
            {
                s_ring[(s_head + s_count) % Capacity] = value;
                s_count++;
            }
            s_lock.ReleaseIrqRestore(state);
        }

        /// <summary>Reader side: moves up to <paramref name="max"/> queued bytes into <paramref name="into"/>; returns how many.</summary>
        public static int Take(byte* into, int max)
        {
            InterruptState state = s_lock.AcquireIrqSave();
            int taken = 0;
            for (; taken < max && s_count > 0; taken++, s_count--, s_head = (s_head + 1) % Capacity)
                into[taken] = s_ring[s_head];
            s_lock.ReleaseIrqRestore(state);
            return taken;
        }
    }
}

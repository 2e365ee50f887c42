namespace Kernel.Testing
{
    /// <summary>
    /// Zeroed, 16-byte-aligned memory for a test's or benchmark's own use (counters other CPUs bump, tables a handler
    /// fills), allocated like `new`: in the kernel task's own heap when the kernel task runs the test, so running it
    /// again does not grow the kernel heap. Nothing frees it by hand: it stays while any word the kernel task's
    /// collector scans points into it (a static pointer kept for the next run, say) and goes once none does.
    /// </summary>
    public static unsafe class Scratch
    {
        public static void* Allocate(ulong bytes)
        {
            // A byte array, so the collector sees a type without references; its data is 8-byte aligned, hence the slack.
            var block = new byte[(int)bytes + 15];
            fixed (byte* data = block) return (void*)(((ulong)data + 15) & ~15UL);   // objects never move
        }
    }
}

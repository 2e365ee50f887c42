using System.Diagnostics.CodeAnalysis;

namespace Kernel.Runtime
{
    /// <summary>
    /// What the runtime needs from the kernel it runs in, and cannot do itself: memory for objects, and a way to stop
    /// when a check fails or an exception is thrown (there is no unwinder). The kernel attaches all three as the first
    /// step of kmain, before the first allocation and the first static (the runtime sits below it: docs/layers.md).
    /// </summary>
    public static unsafe class RuntimeHost
    {
        private static delegate*<ulong, void*> s_allocate;
        private static delegate*<string, void> s_fail;
        private static delegate*<object, void> s_unhandled;

        /// <param name="allocate">zeroed, 16-byte-aligned memory; never returns null (exhaustion is the kernel's to report)</param>
        /// <param name="fail">never returns</param>
        /// <param name="unhandled">a thrown exception; never returns</param>
        public static void Attach(delegate*<ulong, void*> allocate, delegate*<string, void> fail, delegate*<object, void> unhandled)
        {
            s_allocate = allocate;
            s_fail = fail;
            s_unhandled = unhandled;
        }

        internal static void* Allocate(ulong size) => s_allocate(size);

        [DoesNotReturn]
        internal static void Fail(string reason)
        {
            s_fail(reason);
            while (true) { }   // not reached: the kernel's fail stops the machine
        }

        [DoesNotReturn]
        internal static void Unhandled(object exception)
        {
            s_unhandled(exception);
            while (true) { }   // not reached, as above
        }
    }
}

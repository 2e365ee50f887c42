using System.Runtime.InteropServices;

namespace Kernel.Proc
{
    /// <summary>
    /// The one message format, fixed at 64 bytes as in MINIX: the kernel fills in Source, the sender chooses Type
    /// and the seven payload words. Negative types are the kernel's (Notification); a process may not send them.
    /// </summary>
    [ProcessApi]
    [StructLayout(LayoutKind.Sequential)]
    public struct Message
    {
        public const int Size = 64;
        public const int Notification = -1;   // delivered by Notify: Source says who, the payload is empty
        public const int PayloadBytes = 7 * sizeof(ulong);

        public int Source;
        public int Type;
        public ulong P0, P1, P2, P3, P4, P5, P6;

        public static Message Of(int type, ulong p0 = 0, ulong p1 = 0, ulong p2 = 0) => new Message { Type = type, P0 = p0, P1 = p1, P2 = p2 };
    }

    /// <summary>What an IPC call returns (MINIX's error numbers in brackets).</summary>
    [ProcessApi]
    public enum IpcStatus
    {
        Ok = 0,
        BadEndpoint,      // no process was ever named so, or a special endpoint where a process is needed (EBADEPT)
        DeadEndpoint,     // the partner died, or died while this call waited on it (EDEADSRCDST)
        Deadlock,         // the call would close a cycle of processes blocked on each other (ELOCKED)
        BadMessage,       // no message buffer, or a type reserved for the kernel (EFAULT / EINVAL)
        NotReady,         // a non-blocking call found nothing to do (ENOTREADY)
        Timeout,          // a bounded wait ran out (kernel-side helpers only)
    }
}

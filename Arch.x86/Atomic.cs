using System.Runtime.CompilerServices;
using System.Threading;

namespace Kernel.Arch
{
    /// <summary>
    /// The kernel's one API for operations other CPUs may race with. RyuJIT expands each corelib
    /// intrinsic below inline, so the instructions are known exactly (checked with objdump):
    ///   Read / Write       → plain mov (ordered: x86 loads and stores are not reordered with older
    ///                        loads, nor stores with older stores; SDM Vol. 3A §9.2.2)
    ///   FetchAdd           → lock xadd
    ///   CompareExchange    → lock cmpxchg
    ///   Swap               → a lock cmpxchg loop, deliberately not xchg: xchg with memory is locked
    ///                        with or without a prefix, so the alternatives could never unlock it
    ///   FullFence          → Bridge/Locks.asm cpu_full_fence: mfence where SSE2 exists, else lock or [rsp], 0
    ///   TakeTicket         → Bridge/Locks.asm lock_take_ticket: lock xadd, or a plain increment on one CPU
    /// Every lock-prefixed instruction in the kernel comes from here or from an asm ALTERNATIVE, which is
    /// what lets tools/KernelImage account for each one and the alternatives patch them on a single CPU.
    /// </summary>
    public static class Atomic
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int Read(ref int location) => Volatile.Read(ref location);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static uint Read(ref uint location) => Volatile.Read(ref location);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static long Read(ref long location) => Volatile.Read(ref location);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static ulong Read(ref ulong location) => Volatile.Read(ref location);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool Read(ref bool location) => Volatile.Read(ref location);

        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Write(ref int location, int value) => Volatile.Write(ref location, value);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Write(ref uint location, uint value) => Volatile.Write(ref location, value);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Write(ref long location, long value) => Volatile.Write(ref location, value);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Write(ref ulong location, ulong value) => Volatile.Write(ref location, value);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Write(ref bool location, bool value) => Volatile.Write(ref location, value);

        /// <summary>Adds and returns the value before the addition.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int FetchAdd(ref int location, int value) => Interlocked.ExchangeAdd(ref location, value);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static long FetchAdd(ref long location, long value) => Interlocked.ExchangeAdd(ref location, value);

        /// <summary>Adds one and returns the new value.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int Increment(ref int location) => Interlocked.ExchangeAdd(ref location, 1) + 1;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static long Increment(ref long location) => Interlocked.ExchangeAdd(ref location, 1) + 1;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int Decrement(ref int location) => Interlocked.ExchangeAdd(ref location, -1) - 1;

        /// <summary>Stores <paramref name="value"/> if the location holds <paramref name="comparand"/>; returns what it held.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int CompareExchange(ref int location, int value, int comparand) => Interlocked.CompareExchange(ref location, value, comparand);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static long CompareExchange(ref long location, long value, long comparand) => Interlocked.CompareExchange(ref location, value, comparand);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static ulong CompareExchange(ref ulong location, ulong value, ulong comparand) => Interlocked.CompareExchange(ref location, value, comparand);

        /// <summary>Stores <paramref name="value"/> and returns the previous value (a compare-exchange loop: see the class comment).</summary>
        public static int Swap(ref int location, int value)
        {
            int seen = Read(ref location);
            while (true)
            {
                int previous = Interlocked.CompareExchange(ref location, value, seen);
                if (previous == seen) return previous;
                seen = previous;
            }
        }

        /// <summary>Orders every earlier load and store before every later one, including store→load.</summary>
        public static void FullFence() => Kernel.Arch.CpuNative.FullFence();

        /// <summary>A ticket from a ticket lock's dispenser: the value before the increment.</summary>
        public static unsafe int TakeTicket(ref int dispenser) => Kernel.Arch.CpuNative.TakeTicket((int*)Unsafe.AsPointer(ref dispenser));
    }
}

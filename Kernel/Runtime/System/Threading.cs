// Atomics and ordered accesses. [Intrinsic] makes RyuJIT expand each call inline (lock cmpxchg,
// lock xadd, xchg, plain ordered mov); the self-recursive bodies are fallbacks that are never compiled
// in practice, and would show up in the disassembly as a call if the JIT ever stopped expanding them.
using System.Runtime.CompilerServices;

namespace System.Threading
{
    public static class Interlocked
    {
        [Intrinsic] public static int CompareExchange(ref int location, int value, int comparand) => CompareExchange(ref location, value, comparand);
        [Intrinsic] public static uint CompareExchange(ref uint location, uint value, uint comparand) => CompareExchange(ref location, value, comparand);
        [Intrinsic] public static long CompareExchange(ref long location, long value, long comparand) => CompareExchange(ref location, value, comparand);
        [Intrinsic] public static ulong CompareExchange(ref ulong location, ulong value, ulong comparand) => CompareExchange(ref location, value, comparand);
        [Intrinsic] public static nint CompareExchange(ref nint location, nint value, nint comparand) => CompareExchange(ref location, value, comparand);
        [Intrinsic] public static int Exchange(ref int location, int value) => Exchange(ref location, value);
        [Intrinsic] public static long Exchange(ref long location, long value) => Exchange(ref location, value);
        [Intrinsic] public static int ExchangeAdd(ref int location, int value) => ExchangeAdd(ref location, value);
        [Intrinsic] public static long ExchangeAdd(ref long location, long value) => ExchangeAdd(ref location, value);
        [Intrinsic] public static void MemoryBarrier() => MemoryBarrier();

        public static int Add(ref int location, int value) => ExchangeAdd(ref location, value) + value;
        public static long Add(ref long location, long value) => ExchangeAdd(ref location, value) + value;
        public static int Increment(ref int location) => Add(ref location, 1);
        public static long Increment(ref long location) => Add(ref location, 1);
        public static int Decrement(ref int location) => Add(ref location, -1);
        public static long Decrement(ref long location) => Add(ref location, -1);
    }

    public static class Volatile
    {
        [Intrinsic] public static int Read(ref readonly int location) => Read(in location);
        [Intrinsic] public static uint Read(ref readonly uint location) => Read(in location);
        [Intrinsic] public static long Read(ref readonly long location) => Read(in location);
        [Intrinsic] public static ulong Read(ref readonly ulong location) => Read(in location);
        [Intrinsic] public static bool Read(ref readonly bool location) => Read(in location);
        [Intrinsic] public static byte Read(ref readonly byte location) => Read(in location);
        [Intrinsic] public static void Write(ref int location, int value) => Write(ref location, value);
        [Intrinsic] public static void Write(ref uint location, uint value) => Write(ref location, value);
        [Intrinsic] public static void Write(ref long location, long value) => Write(ref location, value);
        [Intrinsic] public static void Write(ref ulong location, ulong value) => Write(ref location, value);
        [Intrinsic] public static void Write(ref bool location, bool value) => Write(ref location, value);
        [Intrinsic] public static void Write(ref byte location, byte value) => Write(ref location, value);
    }
}

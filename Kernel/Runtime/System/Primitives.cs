// The primitive types. ilc recognises them by name; their ToString goes through the kernel's
// allocation-free formatter (Kernel/Lib/Format.cs) so the kernel and the host tests format alike.
namespace System
{
    public struct Boolean { public override string ToString() => this ? "True" : "False"; }
    public struct Char { public override string ToString() => string.FromChar(this); }
    public struct SByte { public override string ToString() => string.FromDecimal(this); }
    public struct Byte { public override string ToString() => string.FromDecimal(this); }
    public struct Int16 { public override string ToString() => string.FromDecimal(this); }
    public struct UInt16
    {
        public const ushort MaxValue = 0xffff;
        public override string ToString() => string.FromDecimal(this);
    }
    public struct Int32
    {
        public const int MaxValue = 0x7fffffff;
        public const int MinValue = unchecked((int)0x80000000);
        public override string ToString() => string.FromDecimal(this);
    }
    public struct UInt32
    {
        public const uint MaxValue = 0xffffffff;
        public override string ToString() => string.FromDecimal(this);
    }
    public struct Int64
    {
        public const long MaxValue = 0x7fffffffffffffff;
        public const long MinValue = unchecked((long)0x8000000000000000);
        public override string ToString() => string.FromDecimal(this);
    }
    public struct UInt64
    {
        public const ulong MaxValue = 0xffffffffffffffff;
        public override string ToString() => string.FromDecimal(this);
    }
    public struct IntPtr { public override string ToString() => string.FromDecimal((long)this); }
    public struct UIntPtr { public override string ToString() => string.FromDecimal((ulong)this); }
    public struct Single { }
    public struct Double { }
}

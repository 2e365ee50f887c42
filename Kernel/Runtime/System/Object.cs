// The root of the minimal corelib. The kernel is its own system module: these types are what ilc
// compiles every `object`, `string` and `int` against. Only what the kernel uses is here.
using System.Runtime.CompilerServices;
using Internal.Runtime;

namespace System
{
    public unsafe class Object
    {
        // ilc lays every object out as a MethodTable pointer followed by the fields.
#pragma warning disable 169, 649
        internal MethodTable* m_pMethodTable;
#pragma warning restore 169, 649

        public Object() { }

        public virtual bool Equals(object o) => this == o;
        // Objects never move (no garbage collector), so the address is a stable identity hash.
        public virtual int GetHashCode()
        {
            object self = this;
            return (int)Unsafe.As<object, nint>(ref self);
        }
        public virtual string ToString() => "object";

        internal MethodTable* MethodTable => m_pMethodTable;
    }

    public struct Void { }

    public abstract class ValueType
    {
        public override bool Equals(object o) => false;
        public override int GetHashCode() => 0;
    }

    public abstract class Enum : ValueType { }

    public struct Nullable<T> where T : struct
    {
        private readonly bool _hasValue;
        private T _value;
        public Nullable(T value) { _hasValue = true; _value = value; }
        public bool HasValue => _hasValue;
        public T Value => _value;
        public T GetValueOrDefault() => _value;
        public static implicit operator Nullable<T>(T value) => new Nullable<T>(value);
        public static explicit operator T(Nullable<T> value) => value._value;
    }

    public abstract class Delegate { }
    public abstract class MulticastDelegate : Delegate { }

    public struct RuntimeTypeHandle { }
    public struct RuntimeMethodHandle { }
    public struct RuntimeFieldHandle { }

    public abstract class Type { }
    internal sealed class RuntimeType : Type { }

    public interface IDisposable { void Dispose(); }
    public interface IEquatable<T> { bool Equals(T other); }
    public interface IComparable<T> { int CompareTo(T other); }
}

namespace System
{
    // The placeholder ilc uses for reference-type arguments of shared generic code.
    internal sealed class __Canon { }
}

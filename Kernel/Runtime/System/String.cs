// Strings: immutable UTF-16, laid out as ilc expects (length, then the characters inline).
using System.Runtime.CompilerServices;

namespace System
{
    public sealed unsafe class String
    {
#pragma warning disable 649
        private readonly int _stringLength;
        private char _firstChar;
#pragma warning restore 649

        public static readonly string Empty = "";

        public int Length => _stringLength;

        [IndexerName("Chars")]
        public char this[int index]
        {
            get
            {
                if ((uint)index >= (uint)_stringLength) Internal.Runtime.CompilerHelpers.ThrowHelpers.ThrowIndexOutOfRangeException();
                return Unsafe.Add(ref _firstChar, index);
            }
        }

        public ref readonly char GetPinnableReference() => ref _firstChar;

        // ilc turns `new string(...)` into a call to the static Ctor with the same parameters.
        [MethodImpl(MethodImplOptions.InternalCall)]
        public extern String(char* value, int startIndex, int length);

        [MethodImpl(MethodImplOptions.InternalCall)]
        public extern String(sbyte* value, int startIndex, int length);

        private static string Ctor(char* value, int startIndex, int length) => FromChars(value + startIndex, length);
        private static string Ctor(sbyte* value, int startIndex, int length) => FromAscii((byte*)value + startIndex, length);

        // Every string allocation funnels through here: a zeroed string of `length` characters.
        internal static string FastAllocate(int length)
        {
            if (length == 0) return Empty;
            nint address = (nint)Kernel.Runtime.ObjectAllocator.AllocateArray(Empty.MethodTable, (uint)length);
            return Unsafe.As<nint, string>(ref address);
        }

        internal ref char FirstChar => ref _firstChar;

        public static string FromChar(char c)
        {
            string s = FastAllocate(1);
            s._firstChar = c;
            return s;
        }

        internal static string FromAscii(byte* bytes, int length)
        {
            string s = FastAllocate(length);
            fixed (char* dst = s)
                for (int i = 0; i < length; i++) dst[i] = (char)bytes[i];
            return s;
        }

        internal static string FromChars(char* chars, int length)
        {
            string s = FastAllocate(length);
            fixed (char* dst = s)
                for (int i = 0; i < length; i++) dst[i] = chars[i];
            return s;
        }

        internal static string FromDecimal(long value)
        {
            char* digits = stackalloc char[Kernel.Lib.Format.MaxDecimalChars];
            return FromChars(digits, Kernel.Lib.Format.Decimal(digits, value));
        }

        internal static string FromDecimal(ulong value)
        {
            char* digits = stackalloc char[Kernel.Lib.Format.MaxDecimalChars];
            return FromChars(digits, Kernel.Lib.Format.Decimal(digits, value));
        }

        public string Substring(int start) => Substring(start, _stringLength - start);

        public string Substring(int start, int length)
        {
            if ((uint)start > (uint)_stringLength || (uint)length > (uint)(_stringLength - start))
                Internal.Runtime.CompilerHelpers.ThrowHelpers.ThrowArgumentOutOfRangeException();
            if (start == 0 && length == _stringLength) return this;
            fixed (char* src = this) return FromChars(src + start, length);
        }

        public int IndexOf(char c) => IndexOf(c, 0);

        public int IndexOf(char c, int start)
        {
            for (int i = start; i < _stringLength; i++)
                if (this[i] == c) return i;
            return -1;
        }

        public int LastIndexOf(char c)
        {
            for (int i = _stringLength - 1; i >= 0; i--)
                if (this[i] == c) return i;
            return -1;
        }

        public bool StartsWith(string prefix)
        {
            if (prefix._stringLength > _stringLength) return false;
            for (int i = 0; i < prefix._stringLength; i++)
                if (this[i] != prefix[i]) return false;
            return true;
        }

        public bool EndsWith(string suffix)
        {
            int offset = _stringLength - suffix._stringLength;
            if (offset < 0) return false;
            for (int i = 0; i < suffix._stringLength; i++)
                if (this[offset + i] != suffix[i]) return false;
            return true;
        }

        public bool Contains(string value)
        {
            for (int i = 0; i + value._stringLength <= _stringLength; i++)
            {
                int j = 0;
                while (j < value._stringLength && this[i + j] == value[j]) j++;
                if (j == value._stringLength) return true;
            }
            return false;
        }

        public static bool Equals(string a, string b)
        {
            if ((object)a == b) return true;
            if (a is null || b is null || a._stringLength != b._stringLength) return false;
            for (int i = 0; i < a._stringLength; i++)
                if (a[i] != b[i]) return false;
            return true;
        }

        public override bool Equals(object o) => o is string s && Equals(this, s);
        public bool Equals(string s) => Equals(this, s);

        public override int GetHashCode()
        {
            uint hash = 2166136261; // FNV-1a
            for (int i = 0; i < _stringLength; i++) hash = (hash ^ this[i]) * 16777619;
            return (int)hash;
        }

        public static bool operator ==(string a, string b) => Equals(a, b);
        public static bool operator !=(string a, string b) => !Equals(a, b);

        public static bool IsNullOrEmpty(string s) => s is null || s._stringLength == 0;

        public override string ToString() => this;

        public static string Concat(string a, string b) => Concat(a, b, null, null);
        public static string Concat(string a, string b, string c) => Concat(a, b, c, null);

        public static string Concat(string a, string b, string c, string d)
        {
            int length = (a?._stringLength ?? 0) + (b?._stringLength ?? 0) + (c?._stringLength ?? 0) + (d?._stringLength ?? 0);
            string result = FastAllocate(length);
            int at = 0;
            CopyInto(result, ref at, a);
            CopyInto(result, ref at, b);
            CopyInto(result, ref at, c);
            CopyInto(result, ref at, d);
            return result;
        }

        public static string Concat(params string[] parts)
        {
            int length = 0;
            for (int i = 0; i < parts.Length; i++) length += parts[i]?._stringLength ?? 0;
            string result = FastAllocate(length);
            int at = 0;
            for (int i = 0; i < parts.Length; i++) CopyInto(result, ref at, parts[i]);
            return result;
        }

        public static string Concat(object a, object b) => Concat(a?.ToString(), b?.ToString());
        public static string Concat(object a, object b, object c) => Concat(a?.ToString(), b?.ToString(), c?.ToString());

        private static void CopyInto(string destination, ref int at, string source)
        {
            if (source is null) return;
            fixed (char* dst = destination)
            fixed (char* src = source)
                for (int i = 0; i < source._stringLength; i++) dst[at + i] = src[i];
            at += source._stringLength;
        }
    }
}

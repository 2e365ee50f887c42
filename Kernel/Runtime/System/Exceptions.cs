// There is no unwinder: `throw` ends in a kernel panic naming the exception and its message
// (Kernel/Runtime/RuntimeExports.cs). The types exist so ordinary C# reads as ordinary C#.
namespace System
{
    public class Exception
    {
        public Exception() { }
        public Exception(string message) { Message = message; }
        public virtual string Message { get; }
    }

    public class SystemException : Exception
    {
        public SystemException() { }
        public SystemException(string message) : base(message) { }
    }

    public class InvalidOperationException : SystemException
    {
        public InvalidOperationException(string message) : base(message) { }
    }

    public class ArgumentException : SystemException
    {
        public ArgumentException() { }
        public ArgumentException(string message) : base(message) { }
    }

    public class ArgumentOutOfRangeException : ArgumentException
    {
        public ArgumentOutOfRangeException() { }
        public ArgumentOutOfRangeException(string message) : base(message) { }
    }

    public class IndexOutOfRangeException : SystemException
    { }

    public class NullReferenceException : SystemException
    { }

    public class OverflowException : SystemException
    { }

    public class DivideByZeroException : SystemException
    { }

    public class InvalidCastException : SystemException
    { }

    public class NotSupportedException : SystemException
    {
        public NotSupportedException(string message) : base(message) { }
    }

    public class NotImplementedException : SystemException
    { }
}

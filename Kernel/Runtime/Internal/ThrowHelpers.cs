// ilc calls these for the checks the CLI requires (bounds, null, overflow, division). Without an
// unwinder each ends in a kernel panic that names the failed check.
using System.Diagnostics.CodeAnalysis;

namespace Internal.Runtime.CompilerHelpers
{
    internal static class ThrowHelpers
    {
        [DoesNotReturn] public static void ThrowOverflowException() => Kernel.Panic.Halt("arithmetic overflow");
        [DoesNotReturn] public static void ThrowIndexOutOfRangeException() => Kernel.Panic.Halt("index out of range");
        [DoesNotReturn] public static void ThrowNullReferenceException() => Kernel.Panic.Halt("null reference");
        [DoesNotReturn] public static void ThrowDivideByZeroException() => Kernel.Panic.Halt("division by zero");
        [DoesNotReturn] public static void ThrowArrayTypeMismatchException() => Kernel.Panic.Halt("array type mismatch");
        [DoesNotReturn] public static void ThrowInvalidCastException() => Kernel.Panic.Halt("invalid cast");
        [DoesNotReturn] public static void ThrowArgumentOutOfRangeException() => Kernel.Panic.Halt("argument out of range");
        [DoesNotReturn] public static void ThrowArgumentException() => Kernel.Panic.Halt("bad argument");
        [DoesNotReturn] public static void ThrowPlatformNotSupportedException() => Kernel.Panic.Halt("platform not supported");
        [DoesNotReturn] public static void ThrowNotImplementedException() => Kernel.Panic.Halt("not implemented");
        [DoesNotReturn] public static void ThrowFeatureBodyRemoved() => Kernel.Panic.Halt("feature body removed by ilc");
        [DoesNotReturn] public static void ThrowInvalidProgramException(int id) => Kernel.Panic.Halt("invalid program");
        [DoesNotReturn] public static void ThrowInvalidProgramExceptionWithArgument(int id, string method) => Kernel.Panic.Halt("invalid program");
        [DoesNotReturn] public static void ThrowTypeLoadException(int id, string className, string typeName) => Kernel.Panic.Halt("type load failure");
        [DoesNotReturn] public static void ThrowTypeLoadExceptionWithArgument(int id, string className, string typeName, string messageArg) => Kernel.Panic.Halt("type load failure");
        [DoesNotReturn] public static void ThrowMissingMethodException(int id, string methodName) => Kernel.Panic.Halt("missing method");
        [DoesNotReturn] public static void ThrowMissingFieldException(int id, string fieldName) => Kernel.Panic.Halt("missing field");
        [DoesNotReturn] public static void ThrowFileNotFoundException(int id, string fileName) => Kernel.Panic.Halt("file not found");
        [DoesNotReturn] public static void ThrowBadImageFormatException(int id) => Kernel.Panic.Halt("bad image format");
        [DoesNotReturn] public static void ThrowMarshalDirectiveException(int id) => Kernel.Panic.Halt("marshal directive");
        [DoesNotReturn] public static void ThrowAmbiguousMatchException(int id) => Kernel.Panic.Halt("ambiguous match");
    }
}

// ilc calls these for the checks the CLI requires (bounds, null, overflow, division). Without an
// unwinder each ends in a kernel panic that names the failed check.
using System.Diagnostics.CodeAnalysis;

namespace Internal.Runtime.CompilerHelpers
{
    internal static class ThrowHelpers
    {
        [DoesNotReturn] public static void ThrowOverflowException() => Kernel.Runtime.RuntimeHost.Fail("arithmetic overflow");
        [DoesNotReturn] public static void ThrowIndexOutOfRangeException() => Kernel.Runtime.RuntimeHost.Fail("index out of range");
        [DoesNotReturn] public static void ThrowNullReferenceException() => Kernel.Runtime.RuntimeHost.Fail("null reference");
        [DoesNotReturn] public static void ThrowDivideByZeroException() => Kernel.Runtime.RuntimeHost.Fail("division by zero");
        [DoesNotReturn] public static void ThrowArrayTypeMismatchException() => Kernel.Runtime.RuntimeHost.Fail("array type mismatch");
        [DoesNotReturn] public static void ThrowInvalidCastException() => Kernel.Runtime.RuntimeHost.Fail("invalid cast");
        [DoesNotReturn] public static void ThrowArgumentOutOfRangeException() => Kernel.Runtime.RuntimeHost.Fail("argument out of range");
        [DoesNotReturn] public static void ThrowArgumentException() => Kernel.Runtime.RuntimeHost.Fail("bad argument");
        [DoesNotReturn] public static void ThrowPlatformNotSupportedException() => Kernel.Runtime.RuntimeHost.Fail("platform not supported");
        [DoesNotReturn] public static void ThrowNotImplementedException() => Kernel.Runtime.RuntimeHost.Fail("not implemented");
        [DoesNotReturn] public static void ThrowFeatureBodyRemoved() => Kernel.Runtime.RuntimeHost.Fail("feature body removed by ilc");
        [DoesNotReturn] public static void ThrowInvalidProgramException(int id) => Kernel.Runtime.RuntimeHost.Fail("invalid program");
        [DoesNotReturn] public static void ThrowInvalidProgramExceptionWithArgument(int id, string method) => Kernel.Runtime.RuntimeHost.Fail("invalid program");
        [DoesNotReturn] public static void ThrowTypeLoadException(int id, string className, string typeName) => Kernel.Runtime.RuntimeHost.Fail("type load failure");
        [DoesNotReturn] public static void ThrowTypeLoadExceptionWithArgument(int id, string className, string typeName, string messageArg) => Kernel.Runtime.RuntimeHost.Fail("type load failure");
        [DoesNotReturn] public static void ThrowMissingMethodException(int id, string methodName) => Kernel.Runtime.RuntimeHost.Fail("missing method");
        [DoesNotReturn] public static void ThrowMissingFieldException(int id, string fieldName) => Kernel.Runtime.RuntimeHost.Fail("missing field");
        [DoesNotReturn] public static void ThrowFileNotFoundException(int id, string fileName) => Kernel.Runtime.RuntimeHost.Fail("file not found");
        [DoesNotReturn] public static void ThrowBadImageFormatException(int id) => Kernel.Runtime.RuntimeHost.Fail("bad image format");
        [DoesNotReturn] public static void ThrowMarshalDirectiveException(int id) => Kernel.Runtime.RuntimeHost.Fail("marshal directive");
        [DoesNotReturn] public static void ThrowAmbiguousMatchException(int id) => Kernel.Runtime.RuntimeHost.Fail("ambiguous match");
    }
}

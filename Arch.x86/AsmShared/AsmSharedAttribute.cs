namespace Kernel.Arch
{
    /// <summary>
    /// Marks a layout or constant that asm also uses. tools/AsmOffsets compiles every file in
    /// Arch.x86/AsmShared/ on the host and writes the offsets and values as NASM %defines
    /// (obj/.../generated/layout.inc) before the asm is assembled: C# is the one source of truth.
    /// Files here may use only what both the kernel's corelib and the host's BCL provide.
    /// </summary>
    [System.AttributeUsage(System.AttributeTargets.Struct | System.AttributeTargets.Class)]
    public sealed class AsmSharedAttribute : System.Attribute { }
}

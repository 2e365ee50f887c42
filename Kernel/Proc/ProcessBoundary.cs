using System;

namespace Kernel.Proc
{
    /// <summary>
    /// Marks code that runs as a process (docs/processes.md): a type's methods, or one method, run in the process
    /// <c>Name</c>. tools/ProcessVerifier reads Kernel.dll after every build and fails it when such code names
    /// anything but its own process's code, the process API, Kernel.Lib and the runtime, or when a process type
    /// holds a static another process, or another instance of the same code, could see.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Method)]
    public sealed class ProcessAttribute : Attribute
    {
        public ProcessAttribute(string name) { Name = name; }
        public string Name { get; }
    }

    /// <summary>
    /// Marks kernel code with a process entry's shape (static void (ulong)) that does not run as a process: an idle
    /// thread, an AP's first C#. The verifier takes any other function of that shape whose address is taken for a
    /// process body, which must be marked [Process].
    /// </summary>
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class KernelThreadAttribute : Attribute
    {
    }

    /// <summary>
    /// Marks what processes may use of the kernel: IPC, the read-only snapshots it publishes, requests to the system
    /// task and the client side of each server's protocol. With a process name it is a grant to that process only,
    /// as MINIX's privilege table grants a driver its kernel calls (the console server's device access).
    /// </summary>
    [AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Enum | AttributeTargets.Method
                    | AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Constructor)]
    public sealed class ProcessApiAttribute : Attribute
    {
        public ProcessApiAttribute() { }
        public ProcessApiAttribute(string grantedTo) { GrantedTo = grantedTo; }
        public string GrantedTo { get; }
    }
}

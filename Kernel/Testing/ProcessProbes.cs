using Kernel.Arch;
using Kernel.Proc;

namespace Kernel.Testing
{
    /// <summary>
    /// The asm probes a scheduler test process runs on itself, granted to that process alone: C# cannot raise them
    /// (its division by zero throws before the CPU faults, IL has no invalid opcode) nor hold xmm0-15 and MXCSR across
    /// preemption. What the test proves is that a process faulting, or preempted holding SSE state, is handled as a process.
    /// </summary>
    public static class ProcessProbes
    {
        [ProcessApi("scheduler-test")]
        public static void DivideError() => CpuNative.ProbeDivideError();

        [ProcessApi("scheduler-test")]
        public static void InvalidOpcode() => CpuNative.ProbeInvalidOpcode();

        /// <summary>Holds a pattern derived from <paramref name="pattern"/> for <paramref name="tscTicks"/>; bits of what changed.</summary>
        [ProcessApi("scheduler-test")]
        public static ulong HoldSseState(ulong pattern, ulong tscTicks) => CpuNative.ProbeHoldSseState(pattern, tscTicks);
    }
}

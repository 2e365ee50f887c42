using Kernel.Arch;
using Kernel.Testing;
using Kernel.Smp;

namespace Kernel.SelfTests
{
    /// <summary>Exception reports, provoked on purpose and captured instead of panicking (FaultCatcher).</summary>
    [SelfTestSuite("exceptions")]
    public static unsafe class ExceptionTests
    {
        [SelfTest]
        public static void InvalidOpcodeReport()
        {
            CaughtFault fault;
            Assert.True(FaultCatcher.Catch(&InvalidOpcode, null, &fault), "ud2 raises an exception");
            Assert.Equal((ulong)ExceptionVector.InvalidOpcode, fault.Vector, "vector");
            string report = fault.ReportText;
            Assert.Contains(report, "exception #UD Invalid Opcode (vector 6) on CPU 0", "names the exception and the CPU");
            Assert.Contains(report, "probe_invalid_opcode", "names the faulting function from the symbol map");
            Assert.Contains(report, "rip 0x", "shows RIP");
            Assert.Contains(report, "rsp 0x", "shows RSP");
            Assert.Contains(report, "cr2 0x", "shows CR2");
            Assert.Contains(report, "r15 0x", "shows the general registers");
        }

        [SelfTest]
        public static void DivideErrorReport()
        {
            CaughtFault fault;
            Assert.True(FaultCatcher.Catch(&DivideByZero, null, &fault), "div by zero raises an exception");
            Assert.Equal((ulong)ExceptionVector.DivideError, fault.Vector, "vector");
            Assert.Contains(fault.ReportText, "#DE Divide Error", "names the exception");
        }

        [SelfTest]
        public static void BreakpointReport()
        {
            CaughtFault fault;
            Assert.True(FaultCatcher.Catch(&Breakpoint, null, &fault), "int3 raises an exception");
            Assert.Equal((ulong)ExceptionVector.Breakpoint, fault.Vector, "vector");
            Assert.Contains(fault.ReportText, "#BP Breakpoint", "names the exception");
        }

        [SelfTest]
        public static void PageFaultReportDecodesTheErrorCode()
        {
            CaughtFault fault;
            Assert.True(FaultCatcher.Catch(&WriteText, null, &fault), "a write to text faults");
            Assert.Contains(fault.ReportText, "#PF Page Fault", "names the exception");
            Assert.Contains(fault.ReportText, "(protection violation, write)", "decodes the error code");
            Assert.Contains(fault.ReportText, "WriteText", "names the C# method that faulted");
        }

        [SelfTest]
        public static void ExecutionContinuesAfterACaughtFault()
        {
            CaughtFault fault;
            for (int i = 0; i < 100; i++)
                Assert.True(FaultCatcher.Catch(&InvalidOpcode, null, &fault), "each ud2 is caught");
            Assert.True(KernelCpu.Current->Arch.FaultRecovery == null, "no recovery point is left armed");
        }

        private static void InvalidOpcode(void* unused) => CpuNative.ProbeInvalidOpcode();
        private static void DivideByZero(void* unused) => CpuNative.ProbeDivideError();
        private static void Breakpoint(void* unused) => CpuNative.ProbeBreakpoint();
        private static void WriteText(void* unused) => *(byte*)(KernelMain.Image->TextStart + 0x20) = 0;
    }
}

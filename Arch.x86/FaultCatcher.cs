using Kernel.Lib;

namespace Kernel.Arch
{
    /// <summary>What FaultCatcher recorded about an exception, including the full report text.</summary>
    public unsafe struct CaughtFault
    {
        public const int ReportCapacity = 2048;

        public ulong Vector, ErrorCode, Rip, Cr2;
        public int ReportLength;
        public fixed char Report[ReportCapacity];

        public string ReportText
        {
            get
            {
                fixed (char* report = Report) return new string(report, 0, ReportLength);
            }
        }
    }

    /// <summary>
    /// Runs code that is expected to fault — a self-test writing to read-only text, executing data,
    /// or executing ud2 — and turns the exception into a result instead of a panic. Only exceptions
    /// delivered on the current stack are caught: NMI, double fault and machine check (IST stacks,
    /// NMIs blocked until IRET) always panic.
    /// </summary>
    public static unsafe class FaultCatcher
    {
        /// <summary>Calls body(argument); true if it raised an exception, described in *fault.</summary>
        public static bool Catch(delegate*<void*, void> body, void* argument, CaughtFault* fault)
        {
            PerCpu* cpu = PerCpu.Current;
            RecoveryPoint point;
            fault->ReportLength = 0;
            cpu->CaughtFault = fault;
            cpu->FaultRecovery = &point;
            int faulted = CpuNative.TryCall(body, argument, &point);
            cpu->FaultRecovery = null;
            cpu->CaughtFault = null;
            return faulted != 0;
        }

        internal static bool TryRecover(PerCpu* cpu, TrapFrame* frame, ulong cr2)
        {
            if (cpu->FaultRecovery == null) return false;
            var vector = (ExceptionVector)frame->Vector;
            if (vector == ExceptionVector.NonMaskableInterrupt || vector == ExceptionVector.DoubleFault || vector == ExceptionVector.MachineCheck)
                return false;

            CaughtFault* fault = cpu->CaughtFault;
            fault->Vector = frame->Vector;
            fault->ErrorCode = frame->ErrorCode;
            fault->Rip = frame->Rip;
            fault->Cr2 = cr2;
            ExceptionReport.Write(frame, cr2, cpu->Index, &CaptureLine);

            RecoveryPoint* point = cpu->FaultRecovery;
            cpu->FaultRecovery = null;
            CpuNative.ResumeAt(point, 1);
            return true;
        }

        private static void CaptureLine(ref TextBuffer line)
        {
            CaughtFault* fault = PerCpu.Current->CaughtFault;
            char* report = fault->Report;
            int room = CaughtFault.ReportCapacity - fault->ReportLength - 1;
            if (room <= 0) return;
            fault->ReportLength += line.CopyTo(report + fault->ReportLength, room);
            report[fault->ReportLength++] = '\n';
        }
    }
}

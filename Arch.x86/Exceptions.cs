using Kernel.Lib;

namespace Kernel.Arch
{
    /// <summary>Architectural exception vectors (SDM Vol. 3A §6.3.1, Table 6-1 "Protected-Mode Exceptions and Interrupts").</summary>
    public enum ExceptionVector
    {
        DivideError = 0, Debug = 1, NonMaskableInterrupt = 2, Breakpoint = 3, Overflow = 4, BoundRange = 5,
        InvalidOpcode = 6, DeviceNotAvailable = 7, DoubleFault = 8, CoprocessorSegmentOverrun = 9, InvalidTss = 10,
        SegmentNotPresent = 11, StackSegmentFault = 12, GeneralProtection = 13, PageFault = 14, FloatingPointError = 16,
        AlignmentCheck = 17, MachineCheck = 18, SimdFloatingPoint = 19, Virtualization = 20, ControlProtection = 21,
    }

    /// <summary>
    /// Turns an exception's trap frame into the report every fault produces: vector and name, error
    /// code (decoded for page faults), RIP with the C# method from the symbol map, CR2, the stack
    /// pointer, every general register and the CPU number. Lines go to an emitter so the same text
    /// can be printed before a panic or captured by a self-test.
    /// </summary>
    public static unsafe class ExceptionReport
    {
        private const uint FirstExceptionVector = 0, ExceptionVectorCount = 32;

        public static bool IsException(ulong vector) => vector < FirstExceptionVector + ExceptionVectorCount;

        public static string Mnemonic(ulong vector) => (ExceptionVector)vector switch
        {
            ExceptionVector.DivideError => "#DE Divide Error",
            ExceptionVector.Debug => "#DB Debug",
            ExceptionVector.NonMaskableInterrupt => "NMI Non-maskable Interrupt",
            ExceptionVector.Breakpoint => "#BP Breakpoint",
            ExceptionVector.Overflow => "#OF Overflow",
            ExceptionVector.BoundRange => "#BR BOUND Range Exceeded",
            ExceptionVector.InvalidOpcode => "#UD Invalid Opcode",
            ExceptionVector.DeviceNotAvailable => "#NM Device Not Available",
            ExceptionVector.DoubleFault => "#DF Double Fault",
            ExceptionVector.CoprocessorSegmentOverrun => "Coprocessor Segment Overrun",
            ExceptionVector.InvalidTss => "#TS Invalid TSS",
            ExceptionVector.SegmentNotPresent => "#NP Segment Not Present",
            ExceptionVector.StackSegmentFault => "#SS Stack-Segment Fault",
            ExceptionVector.GeneralProtection => "#GP General Protection",
            ExceptionVector.PageFault => "#PF Page Fault",
            ExceptionVector.FloatingPointError => "#MF x87 Floating-Point Error",
            ExceptionVector.AlignmentCheck => "#AC Alignment Check",
            ExceptionVector.MachineCheck => "#MC Machine Check",
            ExceptionVector.SimdFloatingPoint => "#XM SIMD Floating-Point",
            ExceptionVector.Virtualization => "#VE Virtualization",
            ExceptionVector.ControlProtection => "#CP Control Protection",
            _ => "reserved exception",
        };

        /// <summary>One line naming the exception, for panics and test messages.</summary>
        public static void AppendSummary(ref TextBuffer text, TrapFrame* frame, ulong cr2)
        {
            text.Append($"{Mnemonic(frame->Vector)} at rip 0x{frame->Rip:x16} ");
            SymbolMap.AppendSymbol(ref text, frame->Rip);
            if (frame->Vector == (ulong)ExceptionVector.PageFault) text.Append($" cr2 0x{cr2:x16}");
            bool pageFaultOrItsDoubleFault = frame->Vector == (ulong)ExceptionVector.PageFault || frame->Vector == (ulong)ExceptionVector.DoubleFault;
            if (pageFaultOrItsDoubleFault && Paging.IsStackGuard(cr2)) text.Append(" (kernel stack overflow: guard page hit)");
        }

        public static void Write(TrapFrame* frame, ulong cr2, uint cpu, delegate*<ref TextBuffer, void> emit)
        {
            var line = new TextBuffer();
            line.Append($"exception {Mnemonic(frame->Vector)} (vector {frame->Vector}) on CPU {cpu}");
            emit(ref line);

            line.Clear();
            line.Append($"  error code 0x{frame->ErrorCode:x4}");
            if (frame->Vector == (ulong)ExceptionVector.PageFault) AppendPageFaultCause(ref line, frame->ErrorCode);
            emit(ref line);

            line.Clear();
            line.Append($"  rip 0x{frame->Rip:x16}  ");
            SymbolMap.AppendSymbol(ref line, frame->Rip);
            emit(ref line);

            line.Clear();
            line.Append($"  cr2 0x{cr2:x16}  rsp 0x{frame->Rsp:x16}  rflags 0x{frame->Rflags:x16}");
            emit(ref line);

            line.Clear();
            line.Append($"  cs 0x{frame->Cs:x2}  ss 0x{frame->Ss:x2}");
            emit(ref line);

            EmitRegisters(ref line, emit, "rax", frame->Rax, "rbx", frame->Rbx, "rcx", frame->Rcx, "rdx", frame->Rdx);
            EmitRegisters(ref line, emit, "rsi", frame->Rsi, "rdi", frame->Rdi, "rbp", frame->Rbp, "r8 ", frame->R8);
            EmitRegisters(ref line, emit, "r9 ", frame->R9, "r10", frame->R10, "r11", frame->R11, "r12", frame->R12);
            EmitRegisters(ref line, emit, "r13", frame->R13, "r14", frame->R14, "r15", frame->R15, null, 0);
        }

        // SDM Vol. 3A §4.7 "Page-Fault Exceptions", Figure 4-12.
        private static void AppendPageFaultCause(ref TextBuffer line, ulong error)
        {
            line.Append((error & 1) != 0 ? " (protection violation" : " (page not present");
            line.Append((error & 2) != 0 ? ", write" : ", read");
            if ((error & 4) != 0) line.Append(", user mode");
            if ((error & 8) != 0) line.Append(", reserved bit set");
            if ((error & 16) != 0) line.Append(", instruction fetch");
            line.Append(')');
        }

        private static void EmitRegisters(ref TextBuffer line, delegate*<ref TextBuffer, void> emit,
                                          string n1, ulong v1, string n2, ulong v2, string n3, ulong v3, string n4, ulong v4)
        {
            line.Clear();
            line.Append($"  {n1} 0x{v1:x16}  {n2} 0x{v2:x16}  {n3} 0x{v3:x16}");
            if (n4 != null) line.Append($"  {n4} 0x{v4:x16}");
            emit(ref line);
        }
    }
}

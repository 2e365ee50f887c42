using System.Runtime;
using System.Runtime.CompilerServices;

namespace Kernel.Arch
{
    /// <summary>Result registers of CPUID (SDM Vol. 2A "CPUID").</summary>
    public struct CpuidResult
    {
        public uint Eax, Ebx, Ecx, Edx;
    }

    /// <summary>The limit and base that LGDT and LIDT load (SDM Vol. 3A §2.4 "Memory-Management Registers").</summary>
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential, Pack = 1)]
    public struct DescriptorTablePointer
    {
        public ushort Limit;
        public ulong Base;
    }

    /// <summary>
    /// The only asm imports of the kernel: one method per routine in Bridge/*.asm, each a direct
    /// `call` with the SysV ABI (no marshalling, no GC transition).
    /// </summary>
    public static unsafe class CpuNative
    {
        [RuntimeImport("*", "cpu_outb"), MethodImpl(MethodImplOptions.InternalCall)] public static extern void OutB(ushort port, byte value);
        [RuntimeImport("*", "cpu_outw"), MethodImpl(MethodImplOptions.InternalCall)] public static extern void OutW(ushort port, ushort value);
        [RuntimeImport("*", "cpu_outl"), MethodImpl(MethodImplOptions.InternalCall)] public static extern void OutL(ushort port, uint value);
        [RuntimeImport("*", "cpu_inb"), MethodImpl(MethodImplOptions.InternalCall)] public static extern byte InB(ushort port);
        [RuntimeImport("*", "cpu_inw"), MethodImpl(MethodImplOptions.InternalCall)] public static extern ushort InW(ushort port);
        [RuntimeImport("*", "cpu_inl"), MethodImpl(MethodImplOptions.InternalCall)] public static extern uint InL(ushort port);
        [RuntimeImport("*", "cpu_rdmsr"), MethodImpl(MethodImplOptions.InternalCall)] public static extern ulong ReadMsr(uint msr);
        [RuntimeImport("*", "cpu_wrmsr"), MethodImpl(MethodImplOptions.InternalCall)] public static extern void WriteMsr(uint msr, ulong value);
        [RuntimeImport("*", "cpu_rdtsc"), MethodImpl(MethodImplOptions.InternalCall)] public static extern ulong ReadTsc();
        [RuntimeImport("*", "cpu_cpuid"), MethodImpl(MethodImplOptions.InternalCall)] public static extern void Cpuid(uint leaf, uint subleaf, CpuidResult* result);
        [RuntimeImport("*", "cpu_read_cr0"), MethodImpl(MethodImplOptions.InternalCall)] public static extern ulong ReadCr0();
        [RuntimeImport("*", "cpu_read_cr2"), MethodImpl(MethodImplOptions.InternalCall)] public static extern ulong ReadCr2();
        [RuntimeImport("*", "cpu_read_cr3"), MethodImpl(MethodImplOptions.InternalCall)] public static extern ulong ReadCr3();
        [RuntimeImport("*", "cpu_write_cr0"), MethodImpl(MethodImplOptions.InternalCall)] public static extern void WriteCr0(ulong value);
        [RuntimeImport("*", "cpu_write_cr3"), MethodImpl(MethodImplOptions.InternalCall)] public static extern void WriteCr3(ulong value);
        [RuntimeImport("*", "cpu_invlpg"), MethodImpl(MethodImplOptions.InternalCall)] public static extern void Invlpg(ulong address);
        [RuntimeImport("*", "cpu_read_rflags"), MethodImpl(MethodImplOptions.InternalCall)] public static extern ulong ReadRflags();
        [RuntimeImport("*", "cpu_read_rsp"), MethodImpl(MethodImplOptions.InternalCall)] public static extern ulong ReadRsp();
        [RuntimeImport("*", "cpu_spill_callee_saved"), MethodImpl(MethodImplOptions.InternalCall)] public static extern void SpillCalleeSaved(ulong* six);
        [RuntimeImport("*", "cpu_cli"), MethodImpl(MethodImplOptions.InternalCall)] public static extern void DisableInterrupts();
        [RuntimeImport("*", "cpu_sti"), MethodImpl(MethodImplOptions.InternalCall)] public static extern void EnableInterrupts();
        [RuntimeImport("*", "cpu_pause"), MethodImpl(MethodImplOptions.InternalCall)] public static extern void Pause();
        [RuntimeImport("*", "cpu_enable_interrupts_and_halt"), MethodImpl(MethodImplOptions.InternalCall)] public static extern void EnableInterruptsAndHalt();
        [RuntimeImport("*", "cpu_halt_forever"), MethodImpl(MethodImplOptions.InternalCall)] public static extern void HaltForever();
        [RuntimeImport("*", "cpu_lidt"), MethodImpl(MethodImplOptions.InternalCall)] public static extern void LoadIdt(DescriptorTablePointer* pointer);
        [RuntimeImport("*", "cpu_ltr"), MethodImpl(MethodImplOptions.InternalCall)] public static extern void LoadTaskRegister(ushort selector);
        [RuntimeImport("*", "cpu_load_gdt"), MethodImpl(MethodImplOptions.InternalCall)] public static extern void LoadGdt(DescriptorTablePointer* pointer, ushort codeSelector, ushort dataSelector);
        [RuntimeImport("*", "cpu_percpu_self"), MethodImpl(MethodImplOptions.InternalCall)] public static extern PerCpu* PerCpuSelf();
        [RuntimeImport("*", "cpu_try_call"), MethodImpl(MethodImplOptions.InternalCall)] public static extern int TryCall(delegate*<void*, void> body, void* argument, RecoveryPoint* point);
        [RuntimeImport("*", "cpu_resume_at"), MethodImpl(MethodImplOptions.InternalCall)] public static extern void ResumeAt(RecoveryPoint* point, int code);
        [RuntimeImport("*", "cpu_switch_context"), MethodImpl(MethodImplOptions.InternalCall)] public static extern void SwitchContext(ulong* saveRsp, ulong newRsp);
        [RuntimeImport("*", "cpu_process_start_address"), MethodImpl(MethodImplOptions.InternalCall)] public static extern ulong ProcessStartAddress();
        [RuntimeImport("*", "lock_take_ticket"), MethodImpl(MethodImplOptions.InternalCall)] public static extern int TakeTicket(int* next);
        [RuntimeImport("*", "lock_release_ticket"), MethodImpl(MethodImplOptions.InternalCall)] public static extern int ReleaseTicket(TicketLock* words);
        [RuntimeImport("*", "lock_waits_halt"), MethodImpl(MethodImplOptions.InternalCall)] public static extern int LockWaitsHalt();
        [RuntimeImport("*", "lock_halt"), MethodImpl(MethodImplOptions.InternalCall)] public static extern void LockHalt(ulong priorityClass);
        [RuntimeImport("*", "cpu_full_fence"), MethodImpl(MethodImplOptions.InternalCall)] public static extern void FullFence();
        [RuntimeImport("*", "lapic_eoi"), MethodImpl(MethodImplOptions.InternalCall)] public static extern void LapicEoi();
        [RuntimeImport("*", "lapic_set_eoi_register"), MethodImpl(MethodImplOptions.InternalCall)] public static extern void LapicSetEoiRegister(ulong address);
        [RuntimeImport("*", "lapic_write_x2apic_icr"), MethodImpl(MethodImplOptions.InternalCall)] public static extern void LapicWriteX2ApicIcr(ulong value);
        [RuntimeImport("*", "image_layout"), MethodImpl(MethodImplOptions.InternalCall)] public static extern void GetImageLayout(ImageLayout* layout);
        [RuntimeImport("*", "probe_invalid_opcode"), MethodImpl(MethodImplOptions.InternalCall)] public static extern void ProbeInvalidOpcode();
        [RuntimeImport("*", "probe_divide_error"), MethodImpl(MethodImplOptions.InternalCall)] public static extern void ProbeDivideError();
        [RuntimeImport("*", "probe_hold_sse_state"), MethodImpl(MethodImplOptions.InternalCall)] public static extern ulong ProbeHoldSseState(ulong pattern, ulong tscTicks);
        [RuntimeImport("*", "probe_breakpoint"), MethodImpl(MethodImplOptions.InternalCall)] public static extern void ProbeBreakpoint();
    }
}

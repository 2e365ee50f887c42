; ContextSwitch.asm — switching a CPU from one kernel stack to another (processes, idle threads).
; Only what the SysV ABI makes callee-saved is saved here: everything else is dead across the call.
; The interrupted state of a preempted process (all general registers and the full FXSAVE image) is
; already on its stack, saved by trap_common before the scheduler ran, so it travels with the stack.

%include "layout.inc"

bits 64
section .text

%if SwitchFrame.ReturnAddress != SwitchFrame_size - 8 || SwitchFrame.Rflags != 8
%error "SwitchFrame.cs must list Mxcsr, FpuControl, Rflags, R15, R14, R13, R12, Rbx, Rbp, ReturnAddress"
%endif

extern process_first_run

; void cpu_switch_context(ulong* saveRsp, ulong newRsp)
; Pushes a SwitchFrame, stores rsp in *saveRsp, loads newRsp and pops the frame found there.
global cpu_switch_context
cpu_switch_context:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    pushfq
    sub rsp, 8
    stmxcsr [rsp + SwitchFrame.Mxcsr]
    fnstcw [rsp + SwitchFrame.FpuControl]
    mov [rdi], rsp
    mov rsp, rsi
    ldmxcsr [rsp + SwitchFrame.Mxcsr]
    fldcw [rsp + SwitchFrame.FpuControl]
    add rsp, 8
    popfq
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; A new process's first instructions: its SwitchFrame returned here with the stack 16-byte aligned.
; The scheduler finishes the switch and runs the process's entry; process_first_run never returns.
global process_start
process_start:
    xor ebp, ebp                        ; end of the frame-pointer chain for stack walks
    call process_first_run
    ud2

; ulong cpu_process_start_address(): where a new process's SwitchFrame returns to.
global cpu_process_start_address
cpu_process_start_address:
    lea rax, [rel process_start]
    ret

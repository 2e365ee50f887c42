; InterruptStubs.asm — one entry stub per vector, all funnelled into trap_common, which builds a
; TrapFrame (layout generated from Arch.x86/AsmShared/TrapFrame.cs), saves the SSE state the C#
; handler may clobber, and calls Interrupts.Dispatch (exported as trap_dispatch).

%include "layout.inc"

bits 64
section .text

%if TrapFrame.Vector != 15 * 8 || TrapFrame.ErrorCode != TrapFrame.Vector + 8 || TrapFrame.Rip != TrapFrame.ErrorCode + 8 || TrapFrame.Ss != TrapFrame.Rip + 32 || TrapFrame_size != TrapFrame.Ss + 8
%error "TrapFrame.cs must list 15 saved registers, then Vector, ErrorCode, Rip, Cs, Rflags, Rsp, Ss"
%endif

extern trap_dispatch

; Stubs are Vectors.StubSize bytes apart; Idt.cs computes stub addresses from that.
align 16
global interrupt_stubs
interrupt_stubs:
%assign vector 0
%rep Vectors.Count
.stub %+ vector:
%if vector >= 32 || ((Vectors.ErrorCodeMask >> vector) & 1) == 0
    push 0                              ; no CPU-pushed error code: keep the frame uniform
%endif
    push vector
    jmp trap_common
    times Vectors.StubSize - ($ - .stub %+ vector) int3
%assign vector vector + 1
%endrep

trap_common:
    sub rsp, TrapFrame.Vector
    mov [rsp + TrapFrame.Rax], rax
    mov [rsp + TrapFrame.Rbx], rbx
    mov [rsp + TrapFrame.Rcx], rcx
    mov [rsp + TrapFrame.Rdx], rdx
    mov [rsp + TrapFrame.Rsi], rsi
    mov [rsp + TrapFrame.Rdi], rdi
    mov [rsp + TrapFrame.Rbp], rbp
    mov [rsp + TrapFrame.R8], r8
    mov [rsp + TrapFrame.R9], r9
    mov [rsp + TrapFrame.R10], r10
    mov [rsp + TrapFrame.R11], r11
    mov [rsp + TrapFrame.R12], r12
    mov [rsp + TrapFrame.R13], r13
    mov [rsp + TrapFrame.R14], r14
    mov [rsp + TrapFrame.R15], r15
    cld                                 ; the SysV ABI promises DF = 0 on calls
    mov rbx, rsp                        ; rbx = TrapFrame*, callee-saved across the call
    sub rsp, 512                        ; FXSAVE area: 512 bytes, 16-byte aligned (SDM Vol. 1 §10.5)
    and rsp, ~15
    fxsave64 [rsp]
    mov rdi, rbx
    call trap_dispatch
    fxrstor64 [rsp]
    mov rsp, rbx
    mov rax, [rsp + TrapFrame.Rax]
    mov rbx, [rsp + TrapFrame.Rbx]
    mov rcx, [rsp + TrapFrame.Rcx]
    mov rdx, [rsp + TrapFrame.Rdx]
    mov rsi, [rsp + TrapFrame.Rsi]
    mov rdi, [rsp + TrapFrame.Rdi]
    mov rbp, [rsp + TrapFrame.Rbp]
    mov r8, [rsp + TrapFrame.R8]
    mov r9, [rsp + TrapFrame.R9]
    mov r10, [rsp + TrapFrame.R10]
    mov r11, [rsp + TrapFrame.R11]
    mov r12, [rsp + TrapFrame.R12]
    mov r13, [rsp + TrapFrame.R13]
    mov r14, [rsp + TrapFrame.R14]
    mov r15, [rsp + TrapFrame.R15]
    add rsp, TrapFrame.Rip              ; drop the saved registers, vector and error code
    iretq

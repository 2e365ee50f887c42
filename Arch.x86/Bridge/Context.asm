; Context.asm — a recovery point for code that may not return normally (setjmp/longjmp).
; The self-test runner uses it to abandon a failed test; Fault.Catch uses it to resume after an
; exception a test provoked on purpose. The kernel has no garbage collector and no destructors,
; so discarding the frames between the two points is safe.

%include "layout.inc"

bits 64
section .text

; int cpu_try_call(delegate*<void*, void> fn, void* arg, RecoveryPoint* point)
; Saves the callee-saved registers, rsp and rflags in *point, calls fn(arg), returns 0;
; returns the code given to cpu_resume_at if the recovery point is resumed instead.
global cpu_try_call
cpu_try_call:
    mov [rdx + RecoveryPoint.Rbx], rbx
    mov [rdx + RecoveryPoint.Rbp], rbp
    mov [rdx + RecoveryPoint.R12], r12
    mov [rdx + RecoveryPoint.R13], r13
    mov [rdx + RecoveryPoint.R14], r14
    mov [rdx + RecoveryPoint.R15], r15
    lea rax, [rsp + 8]
    mov [rdx + RecoveryPoint.Rsp], rax
    mov rax, [rsp]
    mov [rdx + RecoveryPoint.Rip], rax
    pushfq
    pop rax
    mov [rdx + RecoveryPoint.Rflags], rax
    mov rax, rdi
    mov rdi, rsi
    sub rsp, 8                          ; 16-byte alignment for the call
    call rax
    add rsp, 8
    xor eax, eax
    ret

; void cpu_resume_at(RecoveryPoint* point, int code): return `code` from the cpu_try_call that saved *point.
global cpu_resume_at
cpu_resume_at:
    mov eax, esi
    mov rbx, [rdi + RecoveryPoint.Rbx]
    mov rbp, [rdi + RecoveryPoint.Rbp]
    mov r12, [rdi + RecoveryPoint.R12]
    mov r13, [rdi + RecoveryPoint.R13]
    mov r14, [rdi + RecoveryPoint.R14]
    mov r15, [rdi + RecoveryPoint.R15]
    mov rsp, [rdi + RecoveryPoint.Rsp]
    push qword [rdi + RecoveryPoint.Rflags]
    popfq
    jmp [rdi + RecoveryPoint.Rip]

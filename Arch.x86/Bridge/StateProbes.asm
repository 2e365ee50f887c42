; StateProbes.asm — register-state probes for the self-tests: C# cannot pin values in XMM registers,
; so the scheduler's floating-point tests hold them here, in asm, across preemption and migration.
; SSE2 only (the baseline x86-64 CPU has nothing newer).

bits 64
section .text

%define TABLE_BYTES (16 * 16)

; ulong probe_hold_sse_state(ulong pattern, ulong tscTicks)
; Loads MXCSR with a rounding mode taken from `pattern` and xmm0..xmm15 with 32 distinct quadwords
; derived from it, spins with interrupts on until `tscTicks` TSC ticks have passed — the scheduler may
; preempt and move the caller meanwhile — then checks them all. Returns a mask: bit n = xmmn changed,
; bit 16 = MXCSR changed. The caller's MXCSR is restored.
global probe_hold_sse_state
probe_hold_sse_state:
    push rbx
    push r12
    sub rsp, TABLE_BYTES + 24           ; expected values, one scratch slot, two MXCSR words (16-aligned)
    mov r12, rsi                        ; tscTicks

    ; expected[i] = pattern ^ ((i + 1) * 0x0101010101010101), i = 0..31
    xor ecx, ecx
    mov r9, 0x0101010101010101
.fill:
    lea rax, [rcx + 1]
    imul rax, r9
    xor rax, rdi
    mov [rsp + rcx * 8], rax
    inc ecx
    cmp ecx, 32
    jb .fill

    stmxcsr [rsp + TABLE_BYTES + 16]    ; the caller's
    mov eax, edi
    and eax, 3
    shl eax, 13                         ; MXCSR.RC, bits 13-14 (SDM Vol. 1 §10.2.3.1)
    or eax, 0x1F80                      ; all exceptions masked
    mov [rsp + TABLE_BYTES + 20], eax
    ldmxcsr [rsp + TABLE_BYTES + 20]
    mov r8d, eax                        ; expected MXCSR

%assign n 0
%rep 16
    movdqu xmm %+ n, [rsp + n * 16]
%assign n n + 1
%endrep

    rdtsc
    shl rdx, 32
    or rax, rdx
    lea r10, [rax + r12]                ; deadline
.spin:
    pause
    rdtsc
    shl rdx, 32
    or rax, rdx
    cmp rax, r10
    jb .spin

    xor ebx, ebx                        ; result mask
%assign n 0
%rep 16
    movdqu [rsp + TABLE_BYTES], xmm %+ n
    mov rax, [rsp + TABLE_BYTES]
    cmp rax, [rsp + n * 16]
    jne .bad %+ n
    mov rax, [rsp + TABLE_BYTES + 8]
    cmp rax, [rsp + n * 16 + 8]
    je .ok %+ n
.bad %+ n:
    or ebx, 1 << n
.ok %+ n:
%assign n n + 1
%endrep

    stmxcsr [rsp + TABLE_BYTES + 20]
    cmp r8d, [rsp + TABLE_BYTES + 20]
    je .mxcsr_ok
    or ebx, 1 << 16
.mxcsr_ok:
    ldmxcsr [rsp + TABLE_BYTES + 16]
    mov eax, ebx
    add rsp, TABLE_BYTES + 24
    pop r12
    pop rbx
    ret

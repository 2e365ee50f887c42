; Locks.asm — the lock fast paths that change shape with the number of CPUs online, and the barrier and
; EOI that change with CPU features. Each is an ALTERNATIVE (Alternatives.inc).

%include "layout.inc"
%include "Alternatives.inc"

bits 64
section .text

; int lock_take_ticket(int* next): returns *next and increments it. Several CPUs: one lock xadd. One CPU:
; no other CPU can race, and a single instruction is atomic against this CPU's interrupts, so a plain load
; and increment do (SDM Vol. 3A §9.1.2.2: locked operations are for multiprocessor coherence).
global lock_take_ticket
lock_take_ticket:
ALT_BEGIN 9
    mov eax, 1
    lock xadd [rdi], eax
ALT_REPLACE AltKind.UpSequence, AltFeature.None
    mov eax, [rdi]
    inc dword [rdi]
ALT_END
    ret

; void cpu_full_fence(): orders every earlier load and store before every later one. The lock-prefixed
; OR of a stack slot is the universal fence; CPUs with SSE2 have MFENCE (SDM Vol. 3A §9.2.5 "Strengthening
; or Weakening the Memory-Ordering Model"), chosen once at boot.
global cpu_full_fence
cpu_full_fence:
ALT_BEGIN 5
    lock or dword [rsp], 0
ALT_REPLACE AltKind.Feature, AltFeature.Sse2
    mfence
ALT_END
    ret

; void lapic_eoi(): end of interrupt. xAPIC: a store to the EOI register (MMIO); x2APIC: WRMSR 80BH
; (SDM Vol. 3A §11.8.5 "Signaling Interrupt Servicing Completion", §11.12.1.2 Table 11-6).
global lapic_eoi
lapic_eoi:
ALT_BEGIN 13
    mov rax, [rel lapic_eoi_register]
    mov dword [rax], 0
ALT_REPLACE AltKind.Feature, AltFeature.X2Apic
    mov ecx, 0x80B
    xor eax, eax
    xor edx, edx
    wrmsr
ALT_END
    ret

; void lapic_set_eoi_register(ulong address): where lapic_eoi's xAPIC variant stores.
global lapic_set_eoi_register
lapic_set_eoi_register:
    mov [rel lapic_eoi_register], rdi
    ret

section .data
align 8
lapic_eoi_register: dq 0

; The lock-site table tools/KernelImage fills in the linked image (header: AltLockTable).
section .alt_locks
    dd AlternativesLayout.LockTableMagic, 0, AlternativesLayout.MaxLockSites, 0
    times AlternativesLayout.MaxLockSites dd 0

; Locks.asm — the lock fast paths that change shape with the number of CPUs online, and the barrier and
; EOI that change with CPU features. Each is an ALTERNATIVE (Alternatives.inc).

%include "layout.inc"
%include "Alternatives.inc"

bits 64
section .text

; int lock_take_ticket(int* next): returns *next and increments it. Several CPUs: one lock xadd. One CPU:
; no other CPU can race (SDM Vol. 3A §9.1.2.2: locked operations are for multiprocessor coherence), so the same
; xadd without the lock. It must stay one instruction: interrupts arrive only between instructions, so an
; interrupt handler taking the same lock can never see a ticket drawn but not yet counted (a load and an
; increment could: both would hold one ticket, and the interrupted one would wait for ever; model
; Tests/Models/UpTicket.pml). Both forms have the same instruction boundaries, so code interrupted inside the
; site during a switch resumes on an instruction of the other form.
global lock_take_ticket
lock_take_ticket:
ALT_BEGIN 9
    mov eax, 1
    lock xadd [rdi], eax
ALT_REPLACE AltKind.UpSequence, AltFeature.None
    mov eax, 1
    db 0x3E                             ; DS, in the lock prefix's byte: an instruction of the same length
    xadd [rdi], eax
ALT_END
    ret

; int lock_release_ticket(TicketLock* lock): serves the next ticket; returns how many waiters may be halted for
; theirs (Kernel/Sync/SpinThenHalt.cs then kicks the one whose turn it is). Only the holder writes Serving, so as built
; a plain increment serves it (SDM Vol. 3A §9.2.2: stores are not reordered with older stores) and nobody halts.
; With paravirtual lock waits the store must be globally visible before Halted is read, or the releaser could read
; 0 while a waiter, counted in and checking, still sees its turn not come, and halts for good: XCHG with memory is
; locked whatever its prefix, a full barrier (SDM Vol. 3A §9.1.2.2; model Tests/Models/BigKernelLock.pml, PLAIN_RELEASE).
global lock_release_ticket
lock_release_ticket:
ALT_BEGIN 11
    inc dword [rdi + TicketLock.Serving]
    xor eax, eax
ALT_REPLACE AltKind.Feature, AltFeature.PvLocks
    mov eax, [rdi + TicketLock.Serving]
    inc eax
    xchg [rdi + TicketLock.Serving], eax
    mov eax, [rdi + TicketLock.Halted]
ALT_END
    ret

; int lock_waits_halt(): 1 when lock waits may halt (the paravirtual variant is patched in), else 0: a static key,
; Linux's jump label in this kernel's alternatives. As built, waits only spin.
global lock_waits_halt
lock_waits_halt:
ALT_BEGIN 5
    xor eax, eax
ALT_REPLACE AltKind.Feature, AltFeature.PvLocks
    mov eax, 1
ALT_END
    ret

; void lock_halt(ulong priority_class): called with interrupts off, after the caller's last look at its condition.
; Raises the task priority to priority_class so only vectors of a higher class can interrupt (CR8 is TPR[7:4] in
; 64-bit mode, SDM Vol. 3A §11.8.6; delivery needs a class above the PPR's, §11.8.3.1), then sti; hlt: STI lets
; interrupts in only after the next instruction (SDM Vol. 2B "STI"), so a wake-up that arrived after the check is
; pending and ends the halt at once. HLT with interrupts off would sleep through it: only NMI, SMI and INIT wake that.
global lock_halt
lock_halt:
    mov rax, cr8
    mov cr8, rdi
    sti
    hlt
    cli
    mov cr8, rax
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
; (SDM Vol. 3A §11.8.5 "Signaling Interrupt Servicing Completion", §11.12.1.2 Table 11-6). As built (and so
; under `noalternatives`) it asks which mode the APIC is in at every EOI: an MMIO store in x2APIC mode would
; be lost and leave the interrupt's ISR bit set, blocking its priority class for good.
global lapic_eoi
lapic_eoi:
ALT_BEGIN 12
    jmp lapic_eoi_by_mode
ALT_REPLACE AltKind.Feature, AltFeature.X2Apic
    mov ecx, 0x80B
    xor eax, eax
    xor edx, edx
    wrmsr
ALT_END
    ret

lapic_eoi_by_mode:
    mov rax, [rel lapic_eoi_register]
    test rax, rax
    jz .x2apic
    mov dword [rax], 0
    ret
.x2apic:
    mov ecx, 0x80B
    xor eax, eax
    xor edx, edx
    wrmsr
    ret

; void lapic_set_eoi_register(ulong address): where lapic_eoi's xAPIC variant stores; 0 in x2APIC mode.
global lapic_set_eoi_register
lapic_set_eoi_register:
    mov [rel lapic_eoi_register], rdi
    ret

; void lapic_write_x2apic_icr(ulong value): sends an IPI in x2APIC mode, destination in bits 63:32 (SDM Vol. 3A
; §11.12.9, ICR = MSR 830H). A WRMSR to an x2APIC register is not serialising, and on Intel CPUs MFENCE alone
; does not order it after earlier stores (it orders loads and stores only): MFENCE makes the stores globally
; visible, LFENCE keeps the WRMSR from starting before the MFENCE completes (SDM Vol. 3A §11.12.3; Linux
; weak_wrmsr_fence). Without it the target's handler could run before the request it is told about is
; visible. AMD orders these MSR writes itself (Linux 04c3024560d3, "Do not serialize MSR accesses on AMD"):
; there the fence is patched out. As built, the fence stays: correct on every CPU.
global lapic_write_x2apic_icr
lapic_write_x2apic_icr:
ALT_BEGIN 6
    mfence
    lfence
ALT_REPLACE AltKind.Feature, AltFeature.ApicMsrWritesOrdered
ALT_END
    mov ecx, 0x830
    mov eax, edi
    mov rdx, rdi
    shr rdx, 32
    wrmsr
    ret

section .data
align 8
lapic_eoi_register: dq 0

; The lock-site table tools/KernelImage fills in the linked image (header: AltLockTable).
section .alt_locks
    dd AlternativesLayout.LockTableMagic, 0, AlternativesLayout.MaxLockSites, 0
    times AlternativesLayout.MaxLockSites dd 0

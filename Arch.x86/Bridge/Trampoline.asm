; Trampoline.asm — the first code an application processor runs. After INIT-SIPI-SIPI an AP starts
; in real mode at CS:IP = (vector << 8):0000 (SDM Vol. 3A §9.4.4 "MP Initialization Example"); the
; boot CPU copies this code to a 4 KiB-aligned page below 1 MiB and fills the ApBootBlock in the
; page after it (layout from Arch.x86/AsmShared/ApBootBlock.cs). The code is position-independent:
; the code page is copied from the image (never run in place),
; in real mode it addresses the block through CS, and afterwards through EBX = the page's linear
; address (CS << 4), which survives the mode switches. 16 → 32 → 64 bits, then the AP takes a stack
; by ticket and calls ApEntry(ticket) in C#.

%include "layout.inc"
%include "LongMode.inc"

%define BLOCK(field) (TrampolineLayout.BlockPageOffset + ApBootBlock.%+field)

%if MAX_CPUS > 1                        ; a uniprocessor build (MaxCpus=1) starts no AP: no trampoline at all


section .trampoline progbits alloc noexec nowrite align=4096
global trampoline_start, trampoline_end, trampoline_protected_entry, trampoline_long_entry

bits 16
trampoline_start:
    cli
    cld
    mov ax, cs
    mov ds, ax
    xor ebx, ebx
    mov bx, ax
    shl ebx, 4                          ; ebx = linear address of this page, for after real mode
    lgdt [BLOCK(GdtLimit)]
    mov eax, cr0
    or eax, Cr0.ProtectionEnable
    mov cr0, eax
    o32 jmp far [BLOCK(ProtectedEntry)]

bits 32
trampoline_protected_entry:
    mov ax, TrampolineLayout.DataSelector
    mov ds, ax
    mov es, ax
    mov ss, ax
    ENTER_LONG_MODE [ebx + BLOCK(Cr3)]
    jmp far [ebx + BLOCK(LongEntry)]

bits 64
trampoline_long_entry:
    mov ax, TrampolineLayout.DataSelector
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov edi, 1                          ; ticket = fetch-and-add: each AP gets its own stack
    lock xadd [rbx + BLOCK(NextStack)], rdi
    mov rax, [rbx + BLOCK(StackTable)]
    mov rsp, [rax + rdi * 8]
    xor ebp, ebp
    call [rbx + BLOCK(Entry)]           ; ApEntry(ticket) never returns
.hang:
    cli
    hlt
    jmp .hang
trampoline_end:

%if trampoline_end - trampoline_start > TrampolineLayout.PageSize
%error "the trampoline code must fit its page"
%endif
%endif

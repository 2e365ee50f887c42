; Entry.asm — multiboot2 entry: 32-bit protected mode → 64-bit long mode → kmain.
;
; GRUB leaves us in 32-bit protected mode, paging off, EAX = multiboot2 magic, EBX = info address
; (Multiboot2 spec §3.3). This stub does only what C# cannot do for itself: check the CPU can run
; 64-bit code, identity-map the first 4 GiB with 2 MiB pages so C# can reach RAM and MMIO, enter
; long mode, enable SSE (RyuJIT emits SSE everywhere), and call kmain. Paging.cs replaces these
; page tables with the kernel's own (W^X) as one of its first steps.

%include "layout.inc"
%include "LongMode.inc"

MB2_MAGIC          equ 0xE85250D6     ; Multiboot2 spec §3.1.2, header magic
MB2_ARCH_I386      equ 0              ; §3.1.3, architecture 0 = 32-bit protected mode i386
MB2_BOOT_MAGIC     equ 0x36D76289     ; §3.3, EAX value on entry

CPUID_EXT_LM       equ 1 << 29        ; CPUID.80000001H:EDX[29] Intel 64 architecture
CPUID_EXT_NX       equ 1 << 20        ; CPUID.80000001H:EDX[20] execute-disable
CPUID_SSE2         equ 1 << 26        ; CPUID.01H:EDX[26]

PTE_PRESENT        equ 1 << 0         ; SDM Vol. 3A §4.5 "4-Level Paging", Table 4-15..4-19
PTE_WRITABLE       equ 1 << 1
PTE_LARGE          equ 1 << 7

COM1               equ 0x3F8
VGA_TEXT           equ 0xB8000

section .multiboot
align 8
mb2_header:
    dd MB2_MAGIC
    dd MB2_ARCH_I386
    dd mb2_header_end - mb2_header
    dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
    ; No framebuffer tag (§3.1.10), on purpose: without one GRUB leaves a BIOS machine in EGA text mode, and on UEFI,
    ; which has no text mode, it hands over the GOP framebuffer anyway (tag 8; it also prints "WARNING: no console
    ; will be available to OS", which is wrong for this kernel). A framebuffer tag would switch BIOS machines to VBE graphics.
    ; End tag (§3.1.4): type 0, flags 0, size 8.
    dw 0, 0
    dd 8
mb2_header_end:

section .boot32 progbits alloc exec nowrite
bits 32
global _start
_start:
    cli
    cld
    mov edi, eax                        ; keep magic and info pointer across the checks
    mov esi, ebx
    mov esp, boot_stack_top

    cmp edi, MB2_BOOT_MAGIC
    mov ebx, msg_not_multiboot2
    jne fail32

    ; Long mode and NX must exist (CPUID leaf 80000001H, SDM Vol. 2A "CPUID").
    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000001
    mov ebx, msg_no_long_mode
    jb fail32
    mov eax, 0x80000001
    cpuid
    test edx, CPUID_EXT_LM
    jz fail32
    mov ebx, msg_no_nx
    test edx, CPUID_EXT_NX
    jz fail32
    mov eax, 1
    cpuid
    mov ebx, msg_no_sse2
    test edx, CPUID_SSE2
    jz fail32

    ; Identity map 0..4 GiB: PML4[0] → PDPT, PDPT[0..3] → four page directories of 2 MiB pages.
    mov eax, boot_pdpt
    or eax, PTE_PRESENT | PTE_WRITABLE
    mov [boot_pml4], eax
    xor ecx, ecx
.pdpt:
    mov eax, ecx
    shl eax, 12
    add eax, boot_pd
    or eax, PTE_PRESENT | PTE_WRITABLE
    mov [boot_pdpt + ecx * 8], eax
    inc ecx
    cmp ecx, 4
    jb .pdpt
    xor ecx, ecx                        ; ecx = 2 MiB page index 0..2047
.pd:
    mov eax, ecx
    shl eax, 21
    or eax, PTE_PRESENT | PTE_WRITABLE | PTE_LARGE
    mov edx, ecx
    shr edx, 11                         ; bits 32+ of the physical address (always 0 below 4 GiB)
    mov [boot_pd + ecx * 8], eax
    mov [boot_pd + ecx * 8 + 4], edx
    inc ecx
    cmp ecx, 2048
    jb .pd

    ENTER_LONG_MODE boot_pml4

    lgdt [boot_gdt_pointer]
    jmp Selectors.KernelCode:long_mode

; Print the message at EBX on COM1 and the VGA text screen, then halt: a CPU we cannot run on
; must say so rather than reset. Serial output here is best effort (no line setup, no timeout
; needed: the stub writes a few dozen bytes and the UART's THR is not polled).
fail32:
    mov edi, VGA_TEXT
.next:
    mov al, [ebx]
    test al, al
    jz .halt
    mov dx, COM1
    out dx, al
    mov ah, 0x4F                        ; white on red
    mov [edi], ax
    add edi, 2
    inc ebx
    jmp .next
.halt:
    hlt
    jmp .halt

msg_not_multiboot2: db "boot: not started by a multiboot2 loader", 0
msg_no_long_mode:   db "boot: this CPU has no 64-bit long mode", 0
msg_no_nx:          db "boot: this CPU has no execute-disable (NX) bit", 0
msg_no_sse2:        db "boot: this CPU has no SSE2", 0

align 8
boot_gdt:
    dq 0                                ; null descriptor
    dq SegmentDescriptors.Code64        ; at Selectors.KernelCode
    dq SegmentDescriptors.Data          ; at Selectors.KernelData
boot_gdt_end:
boot_gdt_pointer:
    dw boot_gdt_end - boot_gdt - 1
    dd boot_gdt

%if Selectors.KernelCode != 8 || Selectors.KernelData != 16
%error "boot_gdt order must match Selectors in Arch.x86/AsmShared/Selectors.cs"
%endif

section .text
bits 64
extern kmain
long_mode:
    mov ax, Selectors.KernelData
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor ax, ax
    mov fs, ax
    mov gs, ax
    mov rsp, boot_stack_top
    xor ebp, ebp
    ; kmain(ulong multibootInfo)
    mov edi, esi
    call kmain
.hang:                                  ; kmain never returns; if it did, stop here visibly
    cli
    hlt
    jmp .hang

section .bss
align 4096
boot_pml4:  resb 4096
boot_pdpt:  resb 4096
boot_pd:    resb 4 * 4096
global boot_stack_top
boot_stack: resb BootStack.Size
boot_stack_top:

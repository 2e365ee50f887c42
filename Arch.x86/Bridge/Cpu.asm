; Cpu.asm — one routine per privileged instruction, called from C# through CpuNative.cs.
; SysV ABI: arguments in rdi, rsi, rdx, rcx; result in rax. Every routine is a leaf.

bits 64
section .text

%macro export 1
global %1
%1:
%endmacro

export cpu_outb
    mov dx, di
    mov al, sil
    out dx, al
    ret

export cpu_outw
    mov dx, di
    mov ax, si
    out dx, ax
    ret

export cpu_outl
    mov dx, di
    mov eax, esi
    out dx, eax
    ret

export cpu_inb
    mov dx, di
    xor eax, eax
    in al, dx
    ret

export cpu_inw
    mov dx, di
    xor eax, eax
    in ax, dx
    ret

export cpu_inl
    mov dx, di
    in eax, dx
    ret

export cpu_rdmsr                        ; ulong cpu_rdmsr(uint msr)
    mov ecx, edi
    rdmsr
    shl rdx, 32
    or rax, rdx
    ret

export cpu_wrmsr                        ; void cpu_wrmsr(uint msr, ulong value)
    mov ecx, edi
    mov eax, esi
    mov rdx, rsi
    shr rdx, 32
    wrmsr
    ret

export cpu_rdtsc
    rdtsc
    shl rdx, 32
    or rax, rdx
    ret

export cpu_cpuid                        ; void cpu_cpuid(uint leaf, uint subleaf, CpuidResult* out)
    push rbx
    mov r8, rdx
    mov eax, edi
    mov ecx, esi
    cpuid
    mov [r8], eax
    mov [r8 + 4], ebx
    mov [r8 + 8], ecx
    mov [r8 + 12], edx
    pop rbx
    ret

export cpu_read_cr0
    mov rax, cr0
    ret

export cpu_read_cr2
    mov rax, cr2
    ret

export cpu_read_cr3
    mov rax, cr3
    ret

export cpu_write_cr0
    mov cr0, rdi
    ret

export cpu_write_cr3
    mov cr3, rdi
    ret

export cpu_invlpg
    invlpg [rdi]
    ret

export cpu_read_rflags
    pushfq
    pop rax
    ret

export cpu_read_rsp
    lea rax, [rsp + 8]                  ; the caller's rsp
    ret

export cpu_spill_callee_saved           ; rdi: room for six quadwords
    mov [rdi], rbx                      ; the registers a SysV callee must preserve, so a caller may keep
    mov [rdi + 8], rbp                  ; references in them across a call (a collector's conservative roots)
    mov [rdi + 16], r12
    mov [rdi + 24], r13
    mov [rdi + 32], r14
    mov [rdi + 40], r15
    ret

export cpu_cli
    cli
    ret

export cpu_sti
    sti
    ret

; sti; hlt: STI enables interrupts only after the next instruction, so no interrupt can slip in between
; (SDM Vol. 2B "STI"). With interrupts off while deciding to sleep, no wake-up is ever lost.
export cpu_enable_interrupts_and_halt
    sti
    hlt
    ret

export cpu_pause
    pause
    ret

export cpu_halt_forever
    cli
.again:
    hlt
    jmp .again

export cpu_lidt                         ; void cpu_lidt(DescriptorTablePointer* p)
    lidt [rdi]
    ret

export cpu_ltr
    ltr di
    ret

; void cpu_load_gdt(DescriptorTablePointer* p, ushort code, ushort data):
; reload every segment register, CS through a far return (SDM Vol. 3A §3.4.3 "Segment Registers").
export cpu_load_gdt
    lgdt [rdi]
    mov ds, dx
    mov es, dx
    mov ss, dx
    xor eax, eax
    mov fs, ax
    mov gs, ax                          ; clears GS base too: callers set IA32_GS_BASE afterwards
    pop rax                             ; return address
    push rsi
    push rax
    retfq

export cpu_percpu_self                  ; PerCpu* cpu_percpu_self(): [gs:0] holds the block's own address
    mov rax, [gs:0]
    ret

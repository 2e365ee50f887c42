; FaultProbes.asm — instructions that fault on purpose, for the self-tests of exception reporting
; (C# cannot emit them: RyuJIT guards division and never emits ud2 or int3 for user code).

bits 64
section .text

global probe_invalid_opcode
probe_invalid_opcode:
    ud2
    ret

global probe_divide_error
probe_divide_error:
    xor ecx, ecx
    mov eax, 1
    cdq
    div ecx
    ret

global probe_breakpoint
probe_breakpoint:
    int3
    ret

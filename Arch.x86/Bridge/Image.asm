; Image.asm — hands C# the addresses only the linker knows, and the early heap area.

%include "layout.inc"

bits 64

extern __image_start, __image_end, __text_start, __text_end, __rodata_start, __rodata_end
extern __data_start, __data_end, __modules_start, __modules_end, interrupt_stubs
extern boot_stack_top
%if MAX_CPUS > 1
extern trampoline_start, trampoline_end, trampoline_protected_entry, trampoline_long_entry
%endif
extern __alternatives_start, __alternatives_end, __alt_replacements_start, __alt_replacements_end, __alt_locks_start

section .bss
align 4096
early_heap:     resb EarlyHeap.Size
early_heap_end:

section .text
; void image_layout(ImageLayout* out)
global image_layout
image_layout:
%macro store 2
    lea rax, [rel %2]
    mov [rdi + ImageLayout.%1], rax
%endmacro
    store ImageStart, __image_start
    store ImageEnd, __image_end
    store TextStart, __text_start
    store TextEnd, __text_end
    store RodataStart, __rodata_start
    store RodataEnd, __rodata_end
    store DataStart, __data_start
    store DataEnd, __data_end
    store ModulesStart, __modules_start
    store ModulesEnd, __modules_end
    store InterruptStubs, interrupt_stubs
    store EarlyHeapStart, early_heap
    store EarlyHeapEnd, early_heap_end
%if MAX_CPUS > 1                        ; a uniprocessor build has no trampoline: the fields stay 0
    store TrampolineStart, trampoline_start
    store TrampolineEnd, trampoline_end
    store TrampolineProtectedEntry, trampoline_protected_entry
    store TrampolineLongEntry, trampoline_long_entry
%endif
    store AlternativesStart, __alternatives_start
    store AlternativesEnd, __alternatives_end
    store AltReplacementsStart, __alt_replacements_start
    store AltReplacementsEnd, __alt_replacements_end
    store AltLocksStart, __alt_locks_start
    lea rax, [rel boot_stack_top]
    mov [rdi + ImageLayout.BootStackTop], rax
    sub rax, BootStack.Size
    mov [rdi + ImageLayout.BootStackBottom], rax
    ret

; RuntimeStubs.asm — runtime symbols ilc's code needs that must keep a register contract C# cannot
; promise. There is no garbage collector, so a reference store needs no write barrier: each
; RhpAssignRef flavour is the plain store it guards (the JIT expects rdi/rsi preserved as documented
; in dotnet/runtime src/coreclr/nativeaot/Runtime/amd64/WriteBarriers.S).

bits 64
section .text

global RhpAssignRef, RhpCheckedAssignRef
RhpAssignRef:
RhpCheckedAssignRef:                    ; [rdi] = rsi
    mov [rdi], rsi
    ret

global RhpByRefAssignRef
RhpByRefAssignRef:                      ; [rdi] = [rsi]; rdi += 8; rsi += 8 (movsq semantics)
    mov rcx, [rsi]
    mov [rdi], rcx
    add rdi, 8
    add rsi, 8
    ret

section .data
; The stack-protector cookie ilc's stackalloc frames compare against: any fixed value works
; without a loader to randomise it; its only job is to catch overruns.
global __security_cookie
align 8
__security_cookie: dq 0x2B992DDFA232C0DE

section .text
; RhpStackProbe: the JIT calls it in the prologue of frames larger than a few pages, with r11 = the
; lowest address the frame will use; it touches one word per page from rsp down so a guard page, if
; the stack has one, faults in order. Preserves every register but rax (dotnet/runtime amd64 StackProbe.S).
global RhpStackProbe
RhpStackProbe:
    mov rax, rsp
.next_page:
    sub rax, 4096
    cmp rax, r11
    jb .done
    test [rax], eax
    jmp .next_page
.done:
    ret

# gdb set-up for the kernel under QEMU's gdb stub (./build.sh run --gdb prints the full command):
#   gdb -q -ex 'file artifacts/boot/kernel.elf' -x tools/gdb/kernel.gdb
# The kernel is identity-mapped, so the ELF's link addresses are its run-time addresses. QEMU's stub shows
# one gdb thread per vCPU ("Thread 1.2 (CPU#1 ...)"): `thread N` switches CPU, `thread apply all bt` walks all.
# Static fields: do not trust `print Class::s_field`; ilc's DWARF locations for statics do not fit this
# kernel's corelib (README.md, "Debugging").

set architecture i386:x86-64
set pagination off
# An AP's first C# frame (SmpBoot.ApEntry) was called by the trampoline below 1 MiB, which has no unwind
# information: without a limit gdb keeps "unwinding" through stack garbage for thousands of frames.
set backtrace limit 32

target remote localhost:1234

# cpus: one line per vCPU: gdb thread, the kernel's CPU index, APIC ID and CpuState (from the PerCpu block the
# GS base points at), and where it is. Before PerCpu.InitializeBootCpu / PerCpu.Install a CPU has no block yet.
define cpus
    thread apply all -ascending -q kernel-cpu-line
end
document cpus
One line per vCPU: gdb thread, CPU index, APIC ID, CpuState (from the block at GS base), frame.
end

define kernel-cpu-line
    # Every PerCpu block lies above 1 MiB (the boot CPU's in .bss, the others on the heap); a lower GS base is
    # firmware's, GRUB's, or 0 before PerCpu.InitializeBootCpu / PerCpu.Install.
    if $gs_base >= 0x100000
        set $kcpu = (Kernel_Kernel_Smp_KernelCpu *) $gs_base
        printf "thread %d  CPU %u  APIC ID %u  ", $_thread, $kcpu->Arch.Index, $kcpu->Arch.ApicId
        kernel-cpu-state $kcpu->State
        printf "\n    "
    else
        printf "thread %d  (no PerCpu block yet: GS base 0x%lx)\n    ", $_thread, $gs_base
    end
    frame 0
end
document kernel-cpu-line
The current vCPU's line of `cpus`.
end

# CpuState (Kernel/Smp/KernelCpu.cs) by name: ilc emits no debug type for an enum no field is declared with.
define kernel-cpu-state
    if $arg0 == 0
        printf "Absent"
    end
    if $arg0 == 1
        printf "Starting"
    end
    if $arg0 == 2
        printf "Online"
    end
    if $arg0 == 3
        printf "Failed"
    end
    if $arg0 == 4
        printf "Parked"
    end
end
document kernel-cpu-state
Print a CpuState value by name.
end

# percpu: the executing CPU's block (Kernel/Smp/KernelCpu.cs: Arch's PerCpu first, then the kernel's parts).
define percpu
    print *(Kernel_Kernel_Smp_KernelCpu *) $gs_base
end
document percpu
Print the current vCPU's block, Arch's part and the kernel's (GS base). Use `thread N` first to pick another CPU.
end

# csstr EXPR: a C# string's characters (String has _stringLength and _firstChar, UTF-16).
define csstr
    set $kstr = &($arg0)
    if $kstr == 0
        printf "null\n"
    else
        print *(char16_t *) &$kstr->_firstChar@$kstr->_stringLength
    end
end
document csstr
Print a C# string (a String reference): csstr self->Name
end

using System.Runtime.InteropServices;
using Kernel.Arch;
using Kernel.Memory;
using Kernel.Proc;
using Kernel.Sync;

namespace Kernel.Smp
{
    /// <summary>A CPU's life as the kernel sees it.</summary>
    public enum CpuState
    {
        Absent = 0,      // known from the MADT, never started
        Starting,        // INIT-SIPI-SIPI sent, not yet arrived
        Online,          // running kernel code, taking interrupts
        Failed,          // never answered within its time-out; if it wakes later it parks itself
        Parked,          // stopped by a stop IPI: interrupts off, halted, restartable with INIT-SIPI-SIPI
    }

    /// <summary>
    /// A CPU's whole block: Arch's part first (Arch.x86/PerCpu.cs, the address the GS base holds), then the kernel's
    /// parts, each typed by the code that owns it. The kernel allocates the block and hands Arch its part, so
    /// PerCpu.Current and KernelCpu.Current are the same address seen at two layers (Linux's container_of): Arch
    /// never sees the kernel's fields, and the kernel's are not erased into ulongs and void pointers.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct KernelCpu
    {
        public PerCpu Arch;                    // first: GS points here

        // Its life (Kernel/Smp/Cpus.cs, SmpBoot.cs, CpuHotplug.cs)
        public int State;                      // CpuState, changed with Atomic: other CPUs watch it
        public int ReportedDead;               // 1 once a departing CPU has finished everything and halted
        public ulong OnlineSinceTsc;
        public ulong StackTop;                 // its boot stack, which its idle thread keeps

        // Requests from other CPUs (Kernel/Smp/CrossCpuCall.cs, StopMachine.cs, Ipi.cs)
        public CrossCpuCall.CallSlot* CallInbox;   // one slot per sending CPU: Cpus.Capacity of them
        public ulong CallsServed;
        public ulong StopMachineRuns;
        public ulong RescheduleRequests;

        public SchedulerCpu Scheduler;         // Kernel/Proc/Scheduler.cs
        public BigKernelLockCpu Bkl;           // Kernel/Sync/BigKernelLock.cs
        public ProcessMemory* Heap;            // the running process's memory, where its `new` goes; null: the kernel heap (Kernel/Memory/ProcessMemory.cs)

        private static KernelCpu s_bootCpu;    // a static: the boot CPU has its block before anything can be allocated

        public static KernelCpu* Current => (KernelCpu*)PerCpu.Current;

        /// <summary>The whole block of a CPU Arch hands over (a tick, say): every PerCpu is the first field of a KernelCpu.</summary>
        public static KernelCpu* Of(PerCpu* cpu) => (KernelCpu*)cpu;

        /// <summary>The dense CPU number and the hardware's name for the CPU, as Arch keeps them.</summary>
        public uint Index => Arch.Index;
        public uint ApicId => Arch.ApicId;

        public CpuState CpuState => (CpuState)Atomic.Read(ref State);

        /// <summary>The boot CPU's block: installed for Arch (GS), online from now.</summary>
        public static void InitializeBootCpu()
        {
            fixed (KernelCpu* cpu = &s_bootCpu)
            {
                PerCpu.InitializeBootCpu(&cpu->Arch);
                cpu->State = (int)CpuState.Online;
                cpu->OnlineSinceTsc = CpuNative.ReadTsc();
            }
        }
    }
}

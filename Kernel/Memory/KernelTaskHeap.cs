using System.Runtime.CompilerServices;
using Kernel.Arch;
using Kernel.Proc;
using Kernel.Smp;
using Kernel.Sync;

namespace Kernel.Memory
{
    /// <summary>
    /// The kernel task's own heap (docs/heap.md): what the kernel task allocates outside the big kernel lock — a self-test
    /// or benchmark run, a request from the shell, a hot-plug event's handling — comes back, so running them again and
    /// again leaves the kernel heap where it was. Under the lock, with interrupts off or in a handler, the kernel task
    /// still allocates in the kernel heap: that is where shared kernel state is made.
    ///
    /// A process's roots are its own stack; the kernel task's references may be anywhere in the kernel. So its heap is
    /// collected only between requests, never when it allocates, and the roots are everything kernel code can keep a
    /// reference in, read conservatively: the image's data and bss (plain statics, the GC static bases' pointers, the
    /// boot stack), the used part of the kernel heap (the early heap and every chunk), every live thread's whole stack,
    /// and the kernel task's own stack and registers. Its own live objects are read word by word too, since kernel
    /// code keeps raw pointers in objects as well as references. Process heaps are not roots: the verified boundary keeps kernel
    /// references out of them (Snapshots copies a process's name, the one kernel string that can be freed, into the
    /// caller's heap). The collection holds the big kernel lock, so no kernel code on another CPU moves a reference
    /// from memory not yet scanned to memory already scanned while it runs (model: Tests/Models/KernelTaskCollection.pml).
    /// Processes outside the kernel keep running.
    /// </summary>
    public static unsafe class KernelTaskHeap
    {
        private static bool s_enabled;
        private static ulong s_dataStart, s_earlyHeapStart, s_earlyHeapEnd, s_dataEnd;

        /// <summary>True once the kernel task allocates in its own heap.</summary>
        public static bool Enabled => s_enabled;

        /// <summary>From here on the kernel task allocates in its own heap. Boot, on the kernel task, once processes run.</summary>
        public static void Start(ImageLayout* image)
        {
            if (image->EarlyHeapStart < image->DataStart || image->EarlyHeapEnd > image->DataEnd)
                Panic.Halt("the early heap is not in the image's data: Boot/kernel.ld changed?");
            s_dataStart = image->DataStart;
            s_earlyHeapStart = image->EarlyHeapStart;   // read as part of the kernel heap, its used part only
            s_earlyHeapEnd = image->EarlyHeapEnd;
            s_dataEnd = image->DataEnd;
            Process task = ProcessTable.KernelTask;
            task.Memory.ResetForKernelTask(ProcessTable.KernelTaskSlot + 1);
            s_enabled = true;
            InterruptState state = InterruptState.Disable();
            KernelCpu.Current->Heap = task.MemoryBlock;   // the scheduler names it at every switch from now on (HasOwnHeap)
            state.Restore();
        }

        /// <summary>Collects the kernel task's heap if it allocated since the last collection. The kernel task, between requests.</summary>
        public static void CollectIfUsed()
        {
            if (s_enabled && ProcessTable.KernelTask.Memory.Heap.BytesSinceCollection != 0) Collect();
        }

        /// <summary>Collects the kernel task's heap now; what it found. Only the kernel task may call it, holding no references it still needs outside the roots.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static CollectionResult Collect()
        {
            Process task = ProcessTable.KernelTask;
            if (Scheduler.Current != task) Panic.Halt("the kernel task's heap collected by another thread: its stack would not be a root");
            ProcessMemory* memory = task.MemoryBlock;
            BigKernelLock.Enter();
            var registers = stackalloc ulong[6];
            CpuNative.SpillCalleeSaved(registers);   // rbx, rbp, r12-r15: below RSP's reach otherwise
            ulong start = Tsc.Read();
            var collection = new Collector.Collection();
            Collector.Begin(&collection, &memory->Heap, ProcessMemory.LentPages, everyWord: true);
            Collector.MarkRange(&collection, CpuNative.ReadRsp(), task.StackTop);
            Collector.MarkRange(&collection, s_dataStart, s_earlyHeapStart);
            Collector.MarkRange(&collection, s_earlyHeapEnd, s_dataEnd);
            KernelHeap.ForEachUsedPart(&MarkPart, &collection);
            for (int slot = 0; slot < Endpoint.Slots; slot++)
            {
                Process thread = ProcessTable.At(slot);
                if (slot != ProcessTable.KernelTaskSlot && !thread.IsDead && thread.StackBottom != 0)
                    Collector.MarkRange(&collection, thread.StackBottom, thread.StackTop);
            }
            CollectionResult result = Collector.Finish(&collection);
            memory->Record(result, Tsc.Read() - start);
            BigKernelLock.Exit();
            return result;
        }

        private static void MarkPart(ulong start, ulong end, void* collection) => Collector.MarkRange((Collector.Collection*)collection, start, end);
    }
}

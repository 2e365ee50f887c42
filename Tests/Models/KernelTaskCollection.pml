/*
 * The kernel task's heap collected between requests: Kernel/Memory/KernelTaskHeap.cs (Collect), with the kernel code
 * that may hold a reference into that heap: kernel code on another CPU (Kernel/Proc/Scheduler.cs, ProcessTable.Claim)
 * and a process reading a snapshot (Kernel/Proc/Snapshots.cs, CopyOf).
 *
 * One object lives in the kernel task's heap, referenced from kernel memory: two words, A and B (a process's Name in
 * the process table, a static, an array the kernel copied). The collector scans A, then B, each in one step (the
 * scan is conservative and word by word), and frees the object if neither held it. Meanwhile:
 *   - kernel code on another CPU moves the reference from one word to the other in steps (load it, store it, clear
 *     the source), then uses the object, or drops the last reference (a slot reused under a new name);
 *   - a process copies the object's contents into its own heap (a process name from a snapshot); process heaps are
 *     not roots, so it must end holding a copy, never the kernel's reference.
 *
 * Checked: nothing reads the object after it was freed.
 *
 * Seeded mistakes, rejected by the safety run:
 *   COLLECT_WITHOUT_LOCK       the collector does not take the big kernel lock: a move from B (not yet scanned) to A
 *                              (already scanned) hides the reference from it
 *   SNAPSHOT_WITHOUT_LOCK      the snapshot loads the reference and copies from it without the lock: the kernel drops
 *                              its last reference, the collector frees the object, and the copy reads freed memory
 */

bit bkl;
byte a = 1;                   /* the words in kernel memory: 1 = the object, 0 = nothing */
byte b;
bool freed;

inline lock() { atomic { bkl == 0 -> bkl = 1 } }
inline unlock() { bkl = 0 }
inline use(reference) { assert(reference == 0 || !freed) }

proctype KernelOnAnotherCpu() {
    byte held;
end_kernel:
    do
    :: lock();                                    /* move A -> B or B -> A, as kernel code does under the lock */
       if
       :: a != 0 -> held = a; b = held; a = 0
       :: b != 0 -> held = b; a = held; b = 0
       :: else -> skip
       fi;
       use(held); held = 0;
       unlock()
    :: lock(); a = 0; b = 0; unlock(); break      /* the last reference dropped: the slot's new name replaces it */
    od
}

proctype ProcessSnapshot() {
    byte loaded;
#ifdef SNAPSHOT_WITHOUT_LOCK
    loaded = a;                                   /* the reference, loaded with no lock held */
    use(loaded);                                  /* its characters copied into the process's own heap */
#else
    lock();
    loaded = a;
    use(loaded);                                  /* the characters copied to a buffer on the process's stack */
    unlock();
#endif
    loaded = 0                                    /* the process keeps its copy, not the reference */
}

proctype KernelTask() {
    bool marked;
#ifndef COLLECT_WITHOUT_LOCK
    lock();
#endif
    marked = a != 0;                              /* scan A */
    marked = marked || b != 0;                    /* scan B */
    if
    :: !marked -> freed = true
    :: else -> skip
    fi;
#ifndef COLLECT_WITHOUT_LOCK
    unlock()
#endif
}

init {
    atomic { run KernelOnAnotherCpu(); run ProcessSnapshot(); run KernelTask() }
}

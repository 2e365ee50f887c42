/*
 * A process's heap given back when it is killed: Kernel/Proc/Scheduler.cs (MarkDead, Switch, OnInterruptExit) and
 * Kernel/Memory/ProcessMemory.cs (Busy). A killer on another CPU marks the process dead under the big kernel lock;
 * if the process runs nowhere its pages go back at once, otherwise its CPU gives them back when it switches away
 * from it. The process's own heap work (allocating, collecting) leaves its page lists half changed between steps, so
 * the pages must never be given back in the middle of it: the tick does not switch a process away while it is busy
 * in its heap, so it is never off its CPU mid-way.
 *
 * Checked: the pages go back only while the heap is consistent (not mid-way through heap work), and never while
 * the process still runs; a dead process is never switched back in.
 *
 * Seeded mistakes, rejected by the safety run:
 *   PREEMPT_IN_HEAP        the tick may switch a process away in the middle of its heap work: a kill then gives back
 *                          pages whose lists are half changed
 *   RELEASE_WHILE_RUNNING  the killer gives the pages back at once even if the process runs on another CPU
 */

bit bkl;
bool running = true;          /* RunningOn is its CPU */
bool in_heap;                 /* ProcessMemory.Busy: inside heap work, its lists half changed */
bool dead;
bool released;

inline give_back() {
    assert(!in_heap && !running);
    released = true
}

proctype Process() {
end_process:
    do
    :: atomic { running && !dead -> in_heap = true };
       atomic { running -> assert(!released) };       /* changes its page lists */
       atomic { running -> in_heap = false }
    :: atomic { running && !dead -> skip }            /* other work */
    od
}

proctype ProcessCpu() {
end_cpu:
    do
    :: atomic {                                       /* the tick's switch, or the reschedule a kill asks for */
          bkl == 0 && running &&
#ifdef PREEMPT_IN_HEAP
          true
#else
          !in_heap
#endif
          -> running = false;
             if
             :: dead -> give_back()                   /* Switch: this CPU ran it last */
             :: else -> skip
             fi
       }
    :: atomic { bkl == 0 && !running && !dead -> running = true }   /* switched back in */
    od
}

proctype Killer() {
    atomic {
        bkl == 0 -> bkl = 1;
        dead = true;
#ifdef RELEASE_WHILE_RUNNING
        released = true;
#else
        if
        :: !running -> give_back()                    /* MarkDead: it runs nowhere */
        :: else -> skip                               /* its CPU does, at the switch */
        fi;
#endif
        bkl = 0
    }
}

init {
    atomic { run Process(); run ProcessCpu(); run Killer() }
}

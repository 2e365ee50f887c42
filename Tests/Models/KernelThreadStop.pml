/*
 * Kernel threads on a CPU that is taken down: Kernel/Proc/Scheduler.cs (StartKernelThread, Evacuate,
 * KernelThreadShouldStop). A kernel thread is pinned to its CPU and never preempted; it loops until asked to stop and
 * then returns. Evacuate, under the big kernel lock, takes the CPU out of the usable set and asks every live thread
 * pinned there to stop; then, without the lock, it waits (bounded) until the CPU runs its idle thread with nothing
 * queued. StartKernelThread, under the lock, places a thread only on a usable CPU. A thread may be running or still
 * queued (not yet run) when the stop is asked for.
 *
 * Checked: no thread lives on the CPU after Evacuate's wait ended (asserted), and the wait does end (no invalid end
 * state: a thread that never learns of the stop keeps the CPU, and the down times out).
 *
 * Seeded mistakes, rejected by the safety run:
 *   CHECK_OUTSIDE_LOCK  StartKernelThread tests "usable" before it takes the lock: a thread placed just after
 *                       Evacuate's sweep is never asked to stop
 *   STOP_ONLY_RUNNING   Evacuate asks only the thread running there, not one still queued
 */

#define THREADS 2

bit bkl;
bool usable = true;
bool live[THREADS];           /* claimed and placed on the CPU, not yet returned */
bool running[THREADS];        /* has run at least once (it is on the CPU, or was) */
bool stop[THREADS];           /* Process.StopRequested */
bool evacuated;

inline lock() { atomic { bkl == 0 -> bkl = 1 } }
inline unlock() { bkl = 0 }

proctype Thread(byte t) {
    running[t] = true;
end_loop:
    do
    :: stop[t] -> break      /* KernelThreadShouldStop */
    od;
    live[t] = false          /* returns: Exit, the slot goes dead */
}

proctype Starter(byte t) {
#ifdef CHECK_OUTSIDE_LOCK
    if
    :: usable -> lock(); live[t] = true; unlock(); run Thread(t)
    :: else -> skip
    fi
#else
    lock();
    if
    :: usable -> live[t] = true; unlock(); run Thread(t)
    :: else -> unlock()
    fi
#endif
}

proctype Evacuate() {
    byte t;
    lock();
    usable = false;
    for (t : 0 .. THREADS - 1) {
#ifdef STOP_ONLY_RUNNING
        if
        :: live[t] && running[t] -> stop[t] = true
        :: else -> skip
        fi
#else
        if
        :: live[t] -> stop[t] = true
        :: else -> skip
        fi
#endif
    }
    unlock();
    (!live[0] && !live[1]);  /* the CPU idles with nothing queued */
    evacuated = true
}

init {
    atomic { run Starter(0); run Starter(1); run Evacuate() };
    timeout -> assert(!evacuated || (!live[0] && !live[1]))   /* no thread outlives the evacuation */
}

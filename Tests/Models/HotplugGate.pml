/*
 * Taking an AP down and bringing it back, with a CPU that may get stuck on its way out: Kernel/Smp/CpuHotplug.cs
 * (CpuDown's steps and rollback, CpuUp), Kernel/Smp/SmpBoot.cs (Restart), Kernel/Smp/Cpus.cs (OthersQuiescent) and
 * the UP switch's gate in Arch.x86/Alternatives.cs (SwitchToUp).
 *
 * Down: MigrateProcesses (usable off), RetargetInterrupts (routed off), TakeOffline (it leaves the online set under
 * stop_machine, then reports dead from its idle loop; WaitUntilDead may time out), Park (INIT), SwitchToUp. The AP
 * runs kernel code, through lock sites, until it reports dead; one that gets stuck on its way out never does (a
 * straggler). The boot CPU may try the UP switch at any later moment (another CPU's down, CpuUp's rollback).
 *
 * Checked: lock prefixes are removed only while the AP runs no kernel code (asserted at its lock sites); INIT only
 * reaches a CPU that holds no lock; processes and device interrupts only go to an online CPU.
 *
 * Seeded mistakes, each rejected by the safety run:
 *   ROLLBACK_ONTO_STRAGGLER  the old rollback: WaitUntilDead's time-out undoes MigrateProcesses and RetargetInterrupts,
 *                            giving processes and interrupts back to a CPU outside the online set
 *   GATE_ON_ONLINE_COUNT     the old gate: UP as soon as one CPU is online, while the straggler still runs
 *   RESTART_WITHOUT_REPORT   CpuUp restarts a CPU that never reported dead: INIT may catch it holding a lock
 */

mtype = { Online, Parked };
mtype state = Online;        /* the AP's CpuState */
byte online = 2;
bool reported_dead;          /* PerCpu.ReportedDead: halted, running no kernel code */
bool stuck;                  /* on its way out and never getting there */
bool reset;                  /* INIT arrived; SIPI not yet */
bool holds_lock;             /* inside a lock site's critical section */
bool usable = true;          /* the scheduler may place processes on it */
bool routed = true;          /* a device interrupt is aimed at it */
bool up_mode;                /* lock prefixes patched out */

proctype Ap() {
end_ap:
    do
    :: atomic { !reset && !reported_dead -> assert(!up_mode); holds_lock = true };   /* a locked instruction */
       atomic { !reset -> holds_lock = false }                                      /* (INIT first: never released) */
    :: atomic { !reset && !reported_dead && !stuck && state == Parked -> reported_dead = true }
    :: atomic { !reset && !reported_dead && !stuck && state == Parked -> stuck = true }
    od
}

inline init_ap() {
    atomic { assert(!holds_lock); reset = true }
}

/* Alternatives.SwitchToUp's gate. */
inline try_up() {
#ifdef GATE_ON_ONLINE_COUNT
    atomic { online == 1 -> up_mode = true }
#else
    atomic { online == 1 && reported_dead -> up_mode = true }
#endif
}

inline cpu_down() {
    usable = false;                                    /* MigrateProcesses */
    routed = false;                                    /* RetargetInterrupts */
    atomic { state = Parked; online-- };               /* TakeOffline: LeaveOnlineSet under stop_machine */
    if
    :: reported_dead ->                                /* WaitUntilDead saw the report */
       init_ap();                                      /* Park */
       if :: try_up() :: skip fi                       /* SwitchToUp */
    :: true ->                                         /* WaitUntilDead timed out: a straggler, or only slow */
#ifdef ROLLBACK_ONTO_STRAGGLER
       routed = true;                                  /* undo RetargetInterrupts */
       usable = true                                   /* undo MigrateProcesses (Readmit) */
#else
       skip                                            /* kept out: nothing goes back to it */
#endif
    fi
}

inline cpu_up() {
    if
#ifdef RESTART_WITHOUT_REPORT
    :: true ->
#else
    :: reported_dead ->                                /* SmpBoot.Restart refuses a CPU that never reported dead */
#endif
       up_mode = false;                                /* SwitchToSmp first */
       if :: !reset -> init_ap() :: else -> skip fi;   /* INIT (again) */
       atomic { reset = false; reported_dead = false; stuck = false; state = Online; online++ };   /* SIPI: ApEntry */
       usable = true;                                  /* Readmit */
       routed = true
    :: else -> skip
    fi
}

proctype Boot() {
    byte round;
    for (round : 1 .. 2) {
        cpu_down();
        assert((!usable && !routed) || state == Online);
        if :: try_up() :: skip fi;                     /* a later UP switch attempt */
        if :: state == Parked -> cpu_up() :: else -> skip fi;
        assert((!usable && !routed) || state == Online)
    }
}

init {
    atomic { run Ap(); run Boot() }
}

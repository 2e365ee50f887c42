/*
 * Taking an AP down and bringing it back, with every step able to fail and a CPU that may get stuck on its way
 * out: Kernel/Smp/CpuHotplug.cs (CpuDown's steps, MayHaveActed and the rollback, CpuUp), Kernel/Smp/SmpBoot.cs
 * (Restart), Kernel/Smp/Cpus.cs (OthersQuiescent) and the UP switch's gate in Arch.x86/Alternatives.cs (SwitchToUp).
 *
 * Down, in order: MigrateProcesses (usable off; a failure undoes itself), RetargetInterrupts (routed off),
 * StopTimer (a cross-CPU call: when it times out it may still have run), TakeOffline (it leaves the online set under
 * stop_machine, then reports dead from its idle loop; WaitUntilDead may time out), Park (INIT), SwitchToUp. A failed
 * step is undone with every step before it, newest first, itself included when it may have acted; a CPU that left
 * the online set without reporting dead cannot be undone and is kept out. The AP runs kernel code, through lock
 * sites, until it reports dead; one stuck on its way out never does (a straggler). The boot CPU may try the UP
 * switch at any later moment (another CPU's down, CpuUp's rollback).
 *
 * Checked: after every down the AP is exactly as before, or down for good, or a straggler kept out; lock prefixes are
 * removed only while the AP runs no kernel code (asserted at its lock sites); INIT only reaches a CPU that holds no
 * lock; processes and device interrupts only go to an online CPU, and an online CPU has its tick.
 *
 * Seeded mistakes, each rejected by the safety run:
 *   ROLLBACK_FROM_LAST_SUCCESS  the old rollback: a failed step is not undone itself (a timer stop that ran late
 *                               leaves an online CPU without its tick)
 *   ROLLBACK_ONTO_STRAGGLER     the old rollback after WaitUntilDead's time-out: processes and interrupts go back to
 *                               a CPU outside the online set
 *   GATE_ON_ONLINE_COUNT        the old gate: UP as soon as one CPU is online, while the straggler still runs
 *   RESTART_WITHOUT_REPORT      CpuUp restarts a CPU that never reported dead: INIT may catch it holding a lock
 */

#define MIGRATE 1
#define RETARGET 2
#define STOP_TIMER 3
#define TAKE_OFFLINE 4
#define PARK 5
#define SWITCH_TO_UP 6

mtype = { Online, Parked };
mtype state = Online;        /* the AP's CpuState */
byte online = 2;
bool reported_dead;          /* PerCpu.ReportedDead: halted, running no kernel code */
bool stuck;                  /* on its way out and never getting there */
bool reset;                  /* INIT arrived; SIPI not yet */
bool holds_lock;             /* inside a lock site's critical section */
bool usable = true;          /* the scheduler may place processes on it */
bool routed = true;          /* a device interrupt is aimed at it */
bool ticking = true;         /* its local APIC timer */
bool up_mode;                /* lock prefixes patched out */
bool straggler;              /* kept out by a down that could not be undone */

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

/* Alternatives.SwitchToUp's gate: true if it switched. */
inline try_up(switched) {
    atomic {
#ifdef GATE_ON_ONLINE_COUNT
        switched = online == 1;
#else
        switched = online == 1 && reported_dead;
#endif
        if :: switched -> up_mode = true :: else -> skip fi
    }
}

/* SmpBoot.Restart: SMP first, INIT (unless parked already), SIPI; ApEntry starts its tick. */
inline restart() {
    up_mode = false;
    if :: !reset -> init_ap() :: else -> skip fi;
    atomic { reset = false; reported_dead = false; stuck = false; state = Online; online++; ticking = true }
}

inline undo(step_) {
    if
    :: step_ == MIGRATE -> usable = true               /* Readmit */
    :: step_ == RETARGET -> routed = true
    :: step_ == STOP_TIMER -> ticking = true           /* CallOn(StartOwnTimer) */
    :: step_ == TAKE_OFFLINE -> restart()
    :: step_ == PARK || step_ == SWITCH_TO_UP -> up_mode = false   /* (Park: undone by TakeOffline's restart) */
    :: else -> skip
    fi
}

inline cpu_down() {
    fail = 0;
    if :: fail = MIGRATE :: fail = STOP_TIMER :: fail = PARK :: fail = SWITCH_TO_UP :: skip fi;   /* FailOnce */
    done = 0;
    failed = 0;
    for (s : MIGRATE .. SWITCH_TO_UP) {
        if
        :: failed == 0 ->
           if
           :: s == MIGRATE -> if :: fail == s -> failed = s :: else -> usable = false fi
           :: s == RETARGET -> routed = false
           :: s == STOP_TIMER -> if :: fail == s -> failed = s; if :: ticking = false :: skip fi   /* ran late, or not */
                                 :: else -> ticking = false fi
           :: s == TAKE_OFFLINE ->
              atomic { state = Parked; online-- };     /* LeaveOnlineSet under stop_machine */
              if
              :: reported_dead -> skip                 /* WaitUntilDead saw the report */
              :: true -> failed = s                    /* it timed out: a straggler, or only slow */
              fi
           :: s == PARK -> if :: fail == s -> failed = s :: else -> init_ap() fi
           :: s == SWITCH_TO_UP -> if :: fail == s -> failed = s :: else -> try_up(switched) fi
           fi;
           if :: failed == 0 -> done = s :: else -> skip fi
        :: else -> skip
        fi
    }
    if
    :: failed == TAKE_OFFLINE ->
#ifdef ROLLBACK_ONTO_STRAGGLER
       for (s : 1 .. done) { undo(done + 1 - s) }
#else
       skip;                                           /* kept out: nothing goes back to it */
#endif
       straggler = true
    :: failed != 0 && failed != TAKE_OFFLINE ->
#ifdef ROLLBACK_FROM_LAST_SUCCESS
       from = done;
#else
       from = ((failed == STOP_TIMER || failed == PARK || failed == SWITCH_TO_UP) -> failed : done);
#endif
       for (s : 1 .. from) { undo(from + 1 - s) }
    :: else -> skip
    fi
}

inline cpu_up() {
    if
#ifdef RESTART_WITHOUT_REPORT
    :: true ->
#else
    :: reported_dead ->                                /* SmpBoot.Restart refuses a CPU that never reported dead */
#endif
       restart();
       usable = true;                                  /* Readmit */
       routed = true;
       straggler = false
    :: else -> skip
    fi
}

/* After every operation: processes, interrupts and a tick only for an online CPU, which has all three. */
#define CONSISTENT ((state == Online && usable && routed && ticking) || (state == Parked && !usable && !routed))

proctype Boot() {
    byte round, s, done, failed, fail, from;
    bool switched;
    for (round : 1 .. 2) {
        if
        :: state == Online ->
           cpu_down();
           assert(CONSISTENT);
           assert(straggler || reported_dead || state == Online)
        :: else -> skip
        fi;
        if :: try_up(switched) :: skip fi;             /* a later UP switch attempt */
        if :: state == Parked -> cpu_up() :: else -> skip fi;
        assert(CONSISTENT)
    }
}

init {
    atomic { run Ap(); run Boot() }
}

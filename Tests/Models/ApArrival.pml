/*
 * An AP that arrives after the boot CPU gave up on it: Kernel/Smp/SmpBoot.cs (WaitForArrivals, ApEntry) and
 * Kernel/Smp/Cpus.cs (TryMarkOnline, TryMarkFailed). The boot CPU waits for the AP to mark itself online; at its
 * deadline it marks the AP failed, unless the AP just made it (both are compare-exchanges on the AP's state), and
 * then logs, which takes the log lock. The AP may arrive at any moment, also after the deadline, and may take the
 * log lock on its way (a log line) before it tries to mark itself online. (The boot CPU's wait may halt, woken by
 * each arriving AP's kick: Kernel/Sync/SpinThenHalt.cs, whose wake-up CrossCpuCall.pml checks; here it is a wait.)
 *
 * INIT resets a CPU wherever it is: a lock it holds then is never released. So the boot CPU sends INIT only to an
 * AP known to be halted (ReportedDead, as the CPU-down path does), and a late AP takes no lock after it learns it
 * is late: it reports itself halted and halts.
 *
 * Once online, the AP serves cross-CPU calls, also while it waits for the big kernel lock on its way to its idle loop
 * (Kernel/Proc/Scheduler.cs RunIdleThisCpu); a call finds the thread it interrupted through Scheduler.Current. So the
 * AP makes its idle thread current (Scheduler.AdoptIdleThread) before it marks itself online. The boot CPU makes a
 * call to the AP as soon as it counted it (SmpTests.RecordIdentity does).
 *
 * Checked: INIT never reaches a CPU that holds a lock; no invalid end state (the boot CPU logging for ever behind a
 * lock an INIT'd CPU held); the AP is online exactly when the boot CPU counted it; every call the AP serves finds
 * its current thread.
 *
 * Seeded mistakes, rejected by the safety run:
 *   INIT_ON_TIMEOUT     the old code: the boot CPU sends INIT right after marking the AP failed, and the late AP
 *                       logs "arrived late" (taking the log lock) before it halts
 *   ADOPT_AFTER_ONLINE  the old code: the AP makes its idle thread current under the big kernel lock, after it is
 *                       online, so a call served while it waits for the lock finds no current thread
 */

mtype = { Starting, Online, Failed };
mtype state = Starting;
bit log_lock;                 /* the log ring's lock */
bool ap_holds_lock;
bool ap_halted;               /* ReportedDead: in cli; hlt, holding nothing */
bool ap_reset;                /* INIT arrived: the AP is gone, whatever it held stays held */
bool counted;                 /* the boot CPU counted the AP online */
bool adopted;                 /* the AP's idle thread is its current thread */
bool call_posted, call_served;

inline take_log_lock(holder) { atomic { log_lock == 0 -> log_lock = 1; holder = true } }
inline release_log_lock(holder) { atomic { log_lock = 0; holder = false } }

proctype Ap() {
    if                                                /* a log line on its way (ConfigureNmiPins, say) */
    :: !ap_reset -> take_log_lock(ap_holds_lock); release_log_lock(ap_holds_lock)
    :: skip
    fi;
#ifndef ADOPT_AFTER_ONLINE
    adopted = true;
#endif
    if
    :: atomic { !ap_reset && state == Starting -> state = Online }
       /* online: it waits for the big kernel lock, then idles; it serves calls throughout */
#ifdef ADOPT_AFTER_ONLINE
       if
       :: atomic { call_posted && !call_served -> assert(adopted); call_served = true }
       :: skip
       fi;
       adopted = true;
#endif
end_idle:
       do
       :: atomic { call_posted && !call_served -> assert(adopted); call_served = true }
       od
    :: atomic { !ap_reset && state != Starting -> skip };
#ifdef INIT_ON_TIMEOUT
       if
       :: !ap_reset -> take_log_lock(ap_holds_lock); release_log_lock(ap_holds_lock)   /* "arrived late" */
       :: ap_reset -> skip
       fi;
#endif
       ap_halted = true
    :: ap_reset -> skip                               /* INIT caught it before it got here */
    fi
}

proctype Boot() {
    bool holds, gave_up;
    if
    :: state == Online -> counted = true              /* it arrived in time */
    :: atomic {                                       /* the deadline passed: TryMarkFailed, unless it just made it */
          if
          :: state == Starting -> state = Failed; gave_up = true
          :: else -> counted = true
          fi
       }
    fi;
    if
    :: gave_up ->
       take_log_lock(holds); release_log_lock(holds); /* "did not answer INIT-SIPI-SIPI" */
#ifdef INIT_ON_TIMEOUT
       atomic { assert(!ap_holds_lock); ap_reset = true }
#else
       if
       :: atomic { ap_halted -> assert(!ap_holds_lock); ap_reset = true }   /* INIT only once it reported halted */
       :: skip
       fi
#endif
    :: else -> skip
    fi;
    if
    :: counted -> call_posted = true; call_served    /* a call to the AP it just counted */
    :: else -> skip
    fi;
    take_log_lock(holds); release_log_lock(holds)     /* the next log line */
}

init {
    atomic { run Ap(); run Boot() }
    timeout -> assert(counted == (state == Online))
}

/*
 * Drawing a ticket on one CPU: Arch.x86/Bridge/Locks.asm lock_take_ticket, whose bytes Arch.x86/Alternatives.cs
 * swaps between the SMP form and the one-CPU form while code may be stopped inside the site.
 *
 * One CPU runs SpinLock.Acquire (Kernel/Sync/SpinLock.cs) with interrupts enabled: draw a ticket, wait for it,
 * release. Between any two of its instructions an NMI may arrive whose handler tries the same lock
 * (SpinLock.TryAcquire, as the console's panic path does) and releases it if it got it; and the thread may be
 * preempted, the patcher may switch the site to the other form, and the thread resumes at the same byte offset.
 *
 * The site is 9 bytes. SMP form: mov eax, 1 (5 bytes) | lock xadd [rdi], eax (4). One-CPU form: the same with the
 * lock prefix's byte replaced by DS: the same boundaries.
 *
 * Checked: the thread always resumes on an instruction boundary of the form in place; it gets the lock (no
 * invalid end state); the NMI never holds the lock at the same time (mutual exclusion).
 *
 * Seeded mistake, rejected by the safety run:
 *   LOAD_AND_INCREMENT  the old one-CPU form: mov eax, [rdi] (2 bytes) | inc dword [rdi] (2) | 5 NOPs. A thread
 *                       stopped after the load resumes inside the SMP form's mov; an NMI between the load and the
 *                       increment takes the lock with the thread's own ticket, and the thread then waits for ever.
 *                       With NO_SWITCH as well (no patcher), the second alone: an invalid end state.
 */

byte next, serving;          /* the lock's ticket dispenser and the ticket served */
byte eax;                    /* the thread's register */
byte pc;                     /* the thread's byte offset in the site; 9 = past it */
bool smp;                    /* which form the site holds */
byte holders;
bool nmi_done;

/* Whether byte offset `at` starts an instruction of the form in place. */
#ifdef LOAD_AND_INCREMENT
#define BOUNDARY(at) ((at) == 0 || (at) == 9 || (smp -> (at) == 5 : ((at) == 2 || ((at) >= 4 && (at) <= 8))))
#else
#define BOUNDARY(at) ((at) == 0 || (at) == 5 || (at) == 9)
#endif

proctype Thread() {
    byte ticket;
    do                                                /* one instruction per step, at whatever form is in place */
    :: atomic {
          assert(BOUNDARY(pc));
          if
          :: pc == 9 -> break
#ifdef LOAD_AND_INCREMENT
          :: !smp && pc == 0 -> eax = next; pc = 2
          :: !smp && pc == 2 -> next++; pc = 4
          :: !smp && pc >= 4 && pc < 9 -> pc++         /* NOP */
#else
          :: !smp && pc == 0 -> eax = 1; pc = 5
          :: !smp && pc == 5 -> ticket = next; next = next + eax; eax = ticket; pc = 9
#endif
          :: smp && pc == 0 -> eax = 1; pc = 5
          :: smp && pc == 5 -> ticket = next; next = next + eax; eax = ticket; pc = 9
          fi
       }
    od;
    ticket = eax;
    serving == ticket;                                /* Acquire's wait */
    holders++;
    assert(holders == 1);
    holders--;
    serving++
}

/* The patcher: switches the form while the thread is stopped between instructions (preempted, or not yet there). */
proctype Patcher() {
end:
    do
    :: atomic { pc != 9 -> smp = !smp }
    od
}

/* An NMI on the same CPU, once, at any instruction boundary: TryAcquire, and Release when it got the lock. */
proctype Nmi() {
    atomic {
        if
        :: next == serving -> next++; holders++; assert(holders == 1); holders--; serving++
        :: else -> skip
        fi;
        nmi_done = true
    }
}

init {
    atomic {
        run Thread();
#ifndef NO_SWITCH
        run Patcher();
#endif
        run Nmi()
    }
}

/*
 * The big kernel lock: Kernel/Sync/BigKernelLock.cs (Enter, Exit) and the ticket wait it shares with spinlocks,
 * Kernel/Sync/SpinThenHalt.cs (Wait, HaltStep, Kick) over Arch.x86/Bridge/Locks.asm lock_release_ticket, with the
 * cross-CPU request a holder may send while it holds the lock (Kernel/Smp/CrossCpuCall.cs: Post, ServicePending,
 * the wait in CallOnSet). MINIX's rule: a holder that needs state changed on another CPU calls that CPU and waits,
 * holding the lock on the target's behalf; the target may be waiting for the lock right then, so it services its
 * inbox while it waits (seL4 does the same).
 *
 * Waiting is the paravirtual variant (pvlocks=on; the spinning one is its runs that never halt): a waiter may at any
 * moment stop spinning and take the halt step. Interrupts off, it publishes the ticket it waits for in its per-CPU
 * record, counts itself into the lock's Halted with a locked increment (which orders the record before the check),
 * checks its turn once more and, if it has not come, halts with `sti; hlt` and the task priority raised so only the
 * kick, the tick and the cross-CPU call vectors get in. A kick or call sent after the check stays pending and ends
 * the halt at once. The releaser serves the next ticket with XCHG (a full barrier), reads Halted and, if a waiter may
 * be halted, kicks the CPU whose record holds the ticket now served, whose turn it is, and the one holding the ticket
 * after it, next in line, so that it is running again by its turn: two CPUs at most, never a herd. Which waiters halt
 * and when (the kernel halts the next in line only after a longer spin) is left open here: the model lets any waiter
 * halt at any moment, so the protocol holds whatever the policy.
 *
 * Each CPU enters again and again; inside, it may call one other CPU and wait for that call to finish. Tickets and
 * the entry count wrap at TICKETS (more than CPUS), as the kernel's ints wrap at 2^32 with at most one ticket per CPU
 * outstanding.
 *
 * Checked: mutual exclusion; FIFO (the n-th CPU to enter holds ticket n); no deadlock and no waiter halted for good
 * (either leaves an invalid end state); and, in LTL under weak fairness, every CPU that asks for the lock gets it
 * (every_waiter_enters): every halted waiter is woken.
 *
 * Seeded mistakes, each rejected by the check named:
 *   NO_SERVICE_WHILE_WAITING  the wait never services the inbox, spinning or halted: holder and target wait
 *                             for each other                                                        (invalid end state)
 *   RELEASE_BEFORE_LEAVING    Exit hands the lock on before the holder is done                      (mutual exclusion)
 *   PLAIN_TICKET              the ticket taken with a load and a store, not one lock xadd           (mutual exclusion)
 *   TEST_AND_SET              a test-and-set lock instead of tickets: no CPU deadlocks, but one can
 *                             lose every race for ever                                            (every_waiter_enters)
 *   INTERRUPTS_OPEN_AT_CHECK  check-then-halt with interrupts on: the kick's handler runs between the check
 *                             and the hlt, and the hlt then sleeps for good                         (invalid end state)
 *   PLAIN_RELEASE             the next ticket served with a plain store: it may sit in the store buffer while
 *                             the releaser reads Halted as 0, and the waiter, checking, still sees its turn
 *                             not come                                                              (invalid end state)
 *   KICK_ONLY_NEXT_IN_LINE    the releaser wakes only the waiter next in line: one that halted while next in line
 *                             (a long hold) sleeps through its turn                                 (invalid end state)
 *   CALL_MASKED_IN_HALT       the task priority raised so high in the halt that only the kick gets in: a holder
 *                             calling a halted waiter waits for ever                                (invalid end state)
 */

#ifndef CPUS
#define CPUS 3                 /* every_waiter_enters names CPUs 0-2: with more, it checks those three */
#endif
#define TICKETS (CPUS + 1)
#define NONE 255

byte next_ticket;           /* TicketLock.Next */
byte serving;               /* TicketLock.Serving, in memory (with TEST_AND_SET: the lock word) */
byte halted;                /* TicketLock.Halted: waiters inside the halt step */
byte waiting_for[CPUS];     /* PerCpu.Waiting: the ticket a CPU in the halt step waits for, or NONE */
bool kick_pending[CPUS];    /* the kick vector's IRR bit */
byte entries;               /* how many times the lock was entered: FIFO means entry n holds ticket n */
byte inside;                /* CPUs between Enter and Exit */
bool wants[CPUS];           /* drew a ticket, not yet in */
bool requested[CPUS];       /* target's inbox slot of the current holder (one holder: one sender at a time) */
bool completed[CPUS];
#ifdef PLAIN_RELEASE
bool buffered[CPUS];        /* CPU i's store buffer holds its store to serving */
byte buffered_value[CPUS];
#endif

/* ServicePending when the inbox holds a request: run it. */
inline service(me) {
    atomic { requested[me] -> requested[me] = false; completed[me] = true }
}

/* ServicePending from the call vector's handler: the request may have been run already, by the wait's own polling. */
inline service_interrupt(me) {
    atomic { if :: requested[me] -> requested[me] = false; completed[me] = true :: else -> skip fi }
}

/* SpinThenHalt.HaltStep: interrupts off from the record to the hlt. */
inline halt_step(me, ticket) {
    atomic { waiting_for[me] = ticket; halted++ }   /* the record, then lock xadd: both visible before the check */
    if
    :: serving == ticket -> skip
    :: else ->
#ifdef INTERRUPTS_OPEN_AT_CHECK
       if
       :: atomic { kick_pending[me] -> kick_pending[me] = false }   /* the kick's handler, before the hlt */
       :: skip
       fi;
#endif
       if                                           /* sti; hlt: a pending kick or call ends it at once */
       :: atomic { kick_pending[me] -> kick_pending[me] = false }
#if !defined(CALL_MASKED_IN_HALT) && !defined(NO_SERVICE_WHILE_WAITING)
       :: service(me)                               /* the call vector's handler (its IPI follows every request) */
#endif
       fi
    fi;
    atomic { halted--; waiting_for[me] = NONE }    /* in between, a kick would only be spurious */
}

proctype Cpu(byte me) {
    byte ticket, target, c;
    do
    :: atomic {
#ifdef PLAIN_RELEASE
          !buffered[me] ->                             /* the lock xadd below drains this CPU's store buffer */
#endif
          kick_pending[me] = false;                    /* between Exit's sti and Enter's cli pending interrupts are taken */
          service_interrupt(me);
          wants[me] = true;
#if !defined(TEST_AND_SET) && !defined(PLAIN_TICKET)
          ticket = next_ticket; next_ticket = (next_ticket + 1) % TICKETS   /* lock xadd */
#endif
       }
#if defined(TEST_AND_SET)
       do                                              /* xchg until the lock word was 0 */
       :: atomic { serving == 0 -> serving = 1; break }
       :: service(me)
       od;
#else
#ifdef PLAIN_TICKET
       ticket = next_ticket;
       next_ticket = (ticket + 1) % TICKETS;
#endif
       do                                              /* SpinThenHalt.Wait */
       :: serving == ticket -> break
#ifndef NO_SERVICE_WHILE_WAITING
       :: service(me)
#endif
       :: serving != ticket -> halt_step(me, ticket) /* the spin budget spent (any moment, here) */
       od;
#endif
       atomic {
          wants[me] = false;
          inside++;
          assert(inside == 1);
#ifndef TEST_AND_SET
          assert(ticket == entries);
          entries = (entries + 1) % TICKETS
#endif
       }
       if                                              /* CallOn(target, fn, wait: true) while holding the lock */
       :: select(target : 0 .. CPUS - 1);
          if
          :: target != me ->
             atomic { completed[target] = false; requested[target] = true }
             completed[target]
          :: else -> skip
          fi;
          target = 0
       :: skip
       fi;
#if defined(TEST_AND_SET)
       inside--;
       serving = 0
#else
#if defined(RELEASE_BEFORE_LEAVING)
       serving = (ticket + 1) % TICKETS;
       inside--;
#elif defined(PLAIN_RELEASE)
       atomic { inside--; buffered[me] = true; buffered_value[me] = (ticket + 1) % TICKETS }
#else
       atomic { inside--; serving = (ticket + 1) % TICKETS }   /* xchg: in memory at once, and a full barrier */
#endif
       d_step {                                        /* SpinThenHalt.Kick: if Halted > 0, the CPUs holding the ticket served */
          if                                           /* and the next (one step: only a record's own CPU changes it) */
          :: halted > 0 ->
             for (c : 0 .. CPUS - 1) {
                if
#ifdef KICK_ONLY_NEXT_IN_LINE
                :: waiting_for[c] == (ticket + 2) % TICKETS -> kick_pending[c] = true
#else
                :: waiting_for[c] == (ticket + 1) % TICKETS || waiting_for[c] == (ticket + 2) % TICKETS -> kick_pending[c] = true
#endif
                :: else -> skip
                fi
             }
          :: else -> skip
          fi;
          c = 0;
          ticket = 0
       }
#endif
    od
}

#ifdef PLAIN_RELEASE
/* CPU i's store buffer draining to memory, whenever the hardware pleases. */
proctype Memory(byte i) {
end_drain:
    do
    :: atomic { buffered[i] -> serving = buffered_value[i]; buffered[i] = false }
    od
}
#endif

init {
    byte i;
    atomic {
        for (i : 0 .. CPUS - 1) { waiting_for[i] = NONE }
#ifdef PLAIN_RELEASE
        for (i : 0 .. CPUS - 1) { run Memory(i) }
#endif
        for (i : 0 .. CPUS - 1) { run Cpu(i) }
    }
}

ltl every_waiter_enters { [] ((wants[0] -> <> !wants[0]) && (wants[1] -> <> !wants[1]) && (wants[2] -> <> !wants[2])) }

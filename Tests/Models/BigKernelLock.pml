/*
 * The big kernel lock: Kernel/Sync/BigKernelLock.cs (Enter, WaitForTurn, Exit), with the cross-CPU request a
 * holder may send while it holds the lock (Kernel/Smp/CrossCpuCall.cs: Post, ServicePending, the wait in
 * CallOnSet). MINIX's rule: a holder that needs state changed on another CPU calls that CPU and waits, holding
 * the lock on the target's behalf; the target may be spinning for the lock right then, so it services its inbox
 * while it spins (seL4 does the same).
 *
 * Each CPU enters again and again; inside, it may call one other CPU and wait for that call to finish. Tickets and
 * the entry count wrap at TICKETS (more than CPUS), as the kernel's ints wrap at 2^32 with at most one ticket per CPU
 * outstanding.
 *
 * Checked: mutual exclusion; FIFO (the n-th CPU to enter holds ticket n); no deadlock (two CPUs waiting for each
 * other is an invalid end state); and, in LTL under weak fairness, every CPU that asks for the lock gets it
 * (every_waiter_enters).
 *
 * Seeded mistakes, each rejected by the check named:
 *   NO_SERVICE_WHILE_WAITING  WaitForTurn only spins: holder and target wait for each other   (invalid end state)
 *   RELEASE_BEFORE_LEAVING    Exit hands the lock on before the holder is done               (mutual exclusion)
 *   PLAIN_TICKET              the ticket taken with a load and a store, not one lock xadd    (mutual exclusion)
 *   TEST_AND_SET              a test-and-set lock instead of tickets: no CPU deadlocks, but one can
 *                             lose every race for ever                                     (every_waiter_enters)
 */

#ifndef CPUS
#define CPUS 3                 /* every_waiter_enters names CPUs 0-2: with more, it checks those three */
#endif
#define TICKETS (CPUS + 1)

byte next_ticket;           /* BigKernelLock.s_next */
byte serving;               /* BigKernelLock.s_serving (with TEST_AND_SET: the lock word) */
byte entries;               /* how many times the lock was entered: FIFO means entry n holds ticket n */
byte inside;                /* CPUs between Enter and Exit */
bool wants[CPUS];           /* drew a ticket, not yet in */
bool requested[CPUS];       /* target's inbox slot of the current holder (one holder: one sender at a time) */
bool completed[CPUS];

/* ServicePending: run the request in this CPU's inbox, if any. */
inline service(me) {
    atomic { requested[me] -> requested[me] = false; completed[me] = true }
}

proctype Cpu(byte me) {
    byte ticket, target;
    do
    :: wants[me] = true;
#if defined(TEST_AND_SET)
       do                                              /* xchg until the lock word was 0 */
       :: atomic { serving == 0 -> serving = 1; break }
       :: service(me)
       od;
#else
#ifdef PLAIN_TICKET
       ticket = next_ticket;
       next_ticket = (ticket + 1) % TICKETS;
#else
       atomic { ticket = next_ticket; next_ticket = (next_ticket + 1) % TICKETS }
#endif
       do                                              /* WaitForTurn */
       :: serving == ticket -> break
#ifndef NO_SERVICE_WHILE_WAITING
       :: service(me)
#endif
       od;
#endif
       wants[me] = false;
       inside++;
       assert(inside == 1);
#ifndef TEST_AND_SET
       assert(ticket == entries);
       entries = (entries + 1) % TICKETS;
#endif
       if                                              /* CallOn(target, fn, wait: true) while holding the lock */
       :: select(target : 0 .. CPUS - 1);
          if
          :: target != me ->
             atomic { completed[target] = false; requested[target] = true }
             completed[target]
          :: else -> skip
          fi
       :: skip
       fi;
#if defined(TEST_AND_SET)
       inside--;
       serving = 0;
#elif defined(RELEASE_BEFORE_LEAVING)
       serving = (serving + 1) % TICKETS;
       inside--;
#else
       inside--;
       serving = (serving + 1) % TICKETS;
#endif
    od
}

init {
    byte i;
    atomic { for (i : 0 .. CPUS - 1) { run Cpu(i) } }
}

ltl every_waiter_enters { [] ((wants[0] -> <> !wants[0]) && (wants[1] -> <> !wants[1]) && (wants[2] -> <> !wants[2])) }

/*
 * Cross-CPU calls: Kernel/Smp/CrossCpuCall.cs (Post, CallOnSet, ServicePending, OnInterrupt) and the IPI that
 * announces a request (Arch.x86/LocalApic.cs SendIpi; in x2APIC mode Bridge/Locks.asm lapic_write_x2apic_icr), with
 * the sender's waits as Kernel/Sync/SpinThenHalt.cs does them when waits halt (Until, HaltStep, Wake).
 *
 * Two CPUs call each other CALLS times each, waiting for each call or not. A request is a slot in the target's
 * inbox: Post waits (servicing its own inbox) until the previous request in that slot completed, then stores
 * the next sequence number into Requested; the target runs the slot when Requested differs from Started and
 * publishes Completed. Sequence numbers wrap at SEQ (2^32 in the kernel); CALLS is more than SEQ/2, so they do.
 *
 * x86 is TSO: a CPU's stores reach memory in order through its store buffer, so Requested and Completed are
 * modelled as the stores that matter, each buffered until a Memory process drains it (two buffers per CPU, so the
 * model also allows orders TSO forbids: what holds here holds on x86). A WRMSR to the x2APIC ICR is not ordered after
 * earlier stores (SDM Vol. 3A §11.12.3): without `mfence; lfence` first, the IPI can arrive while Requested is
 * still buffered, the handler finds nothing, and nobody looks again. An idle CPU only wakes for an interrupt.
 *
 * Checked: a waiting caller returns only after its request ran (runs == posted); no call to a responsive CPU
 * reports failure; every request runs exactly once (checked when everything has stopped); no deadlock; and, in
 * LTL under weak fairness, every request posted is eventually run (every_request_runs), and every CPU gets through
 * all its calls: no sender waits, spinning or halted, for ever (every_sender_returns).
 *
 * A sender waiting for its slot (Post) or for its request's completion may, at any moment, take the halt step:
 * interrupts off, it publishes its record, counts itself into the slot's SenderHalted with a locked increment
 * (which drains its store buffer), looks at Completed once more, and halts until the kick or a call IPI of its own
 * arrives (its wait services its inbox, so the task priority lets calls in). The target, after its store to
 * Completed, fences, reads SenderHalted and, if the sender may be halted, kicks it. A sender halted for good is an
 * invalid end state.
 *
 * Seeded mistakes, each rejected by the safety run:
 *   SIGNED_SEQUENCE_AS_FLAG  the old CallOnSet: a negative sequence number doubled as "not posted", so after
 *                            2^31 calls from one CPU to another (here SEQ/2) calls stopped being sent
 *   NO_ICR_FENCE             the IPI sent without draining the store buffer first (the fence patched out);
 *                            also rejected by every_request_runs
 *   NO_SERVICE_IN_POST       Post waits for the previous request without servicing its own inbox
 *   NO_WAKE_FENCE            the target reads SenderHalted without a fence after its store to Completed: the store
 *                            may still be buffered when the sender, counted in, looks and halts for good; also
 *                            rejected by every_sender_returns
 *   INIT_MID_REQUEST         INIT reaching a CPU in the middle of a request (SmpBoot.ApEntry then marks it done:
 *                            AbandonInterruptedRequests): a waiting caller is told it ran. Why INIT goes only to a
 *                            CPU that reported itself halted (HotplugGate.pml, ApArrival.pml)
 */

#define SEQ 8
#define HALF 4
#ifndef CALLS
#define CALLS 5
#endif

byte requested[2], started[2], completed[2];   /* slot[t]: the other CPU's requests to CPU t */
bool buffered[2];                              /* CPU i's store buffer holds a store to requested[1 - i] */
byte buffered_value[2];
bool ipi[2];                                   /* a call IPI pending at CPU i */
byte runs[2];                                  /* requests CPU i ran */
byte posted[2];                                /* requests CPU i posted to the other */
byte finished;
bool kick[2];                                  /* the kick vector pending at CPU i */
bool sender_waiting[2];                        /* CPU i's record: it waits on completed[1 - i] */
byte sender_halted[2];                         /* slot[t].SenderHalted */
bool cbuffered[2];                             /* CPU t's store buffer holds its store to completed[t] */
byte cbuffered_value[2];

/* SpinThenHalt.Wake, after CPU me's store to completed[me]: fence, then kick a sender counted in. */
inline wake(me) {
#ifndef NO_WAKE_FENCE
    !cbuffered[me];
#endif
    atomic {
        if
        :: sender_halted[me] > 0 && sender_waiting[1 - me] -> kick[1 - me] = true
        :: else -> skip
        fi
    }
}

/* ServicePending on CPU me: run the slot if it holds a request not started yet. */
inline service(me) {
#ifdef INIT_MID_REQUEST
    if
    :: atomic { requested[me] != started[me] -> started[me] = requested[me] };
       if
       :: atomic { runs[me]++; completed[me] = started[me] }
       :: completed[me] = started[me]                  /* INIT cut it short; on restart AbandonInterruptedRequests */
       fi;
       wake(me)
    :: requested[me] == started[me] -> skip
    fi
#else
    if                                                 /* interrupts off throughout, and INIT only reaches a halted CPU */
    :: requested[me] != started[me] ->                 /* only this CPU starts it, and no next one is posted before */
       !cbuffered[me];                                 /* a one-store buffer: full, the CPU stalls until it drains */
       atomic { started[me] = requested[me]; runs[me]++; cbuffered[me] = true; cbuffered_value[me] = started[me] }
       wake(me)
    :: else -> skip
    fi
#endif
}

/* Requested of the other CPU's slot as CPU me reads it: its own buffered store first (store forwarding). */
#define SEEN(me) (buffered[me] -> buffered_value[me] : requested[1 - (me)])

/* (a - b) as a signed number modulo SEQ is negative: a is before b. */
#define BEFORE(a, b) ((((a) + SEQ - (b)) % SEQ) >= HALF)

/* What a sender waits for: its slot free (Post), or its request done (CallOnSet, `sequence` its number). */
#define SLOT_FREE(me) (completed[1 - (me)] == SEEN(me))
#define CALL_DONE(me) (!BEFORE(completed[1 - (me)], sequence))

/* SpinThenHalt.HaltStep for sender me, waiting for CALL_DONE or SLOT_FREE. */
inline halt_until(me, for_call) {
    atomic { !buffered[me] && !cbuffered[me] -> sender_waiting[me] = true; sender_halted[1 - me]++ }
    if
    :: (for_call && CALL_DONE(me)) || (!for_call && SLOT_FREE(me)) -> skip
    :: else ->
       if                                              /* sti; hlt: the kick, or a call to this CPU */
       :: atomic { kick[me] -> kick[me] = false }
       :: atomic { ipi[me] -> ipi[me] = false }; service(me)
       fi
    fi;
    atomic { sender_halted[1 - me]--; sender_waiting[me] = false }
}

proctype Cpu(byte me) {
    byte other = 1 - me;
    byte call, sequence;
    bool ok;
    for (call : 1 .. CALLS) {
        do                                              /* Post: the previous request in the slot must be done */
        :: SLOT_FREE(me) -> break
#ifndef NO_SERVICE_IN_POST
        :: service(me)
        :: !SLOT_FREE(me) -> halt_until(me, false)
#endif
        od;
        sequence = (SEEN(me) + 1) % SEQ;
        atomic { buffered[me] = true; buffered_value[me] = sequence; posted[me]++ }
        ok = true;
#ifdef SIGNED_SEQUENCE_AS_FLAG
        if
        :: sequence >= HALF -> ok = false               /* "not posted": no IPI, not waited for */
        :: else ->
#endif
#ifndef NO_ICR_FENCE
           !buffered[me];                               /* mfence; lfence: the store is visible first */
#endif
           ipi[other] = true;
           if
           :: do                                        /* wait: true */
              :: CALL_DONE(me) -> break
              :: service(me)
              :: !CALL_DONE(me) -> halt_until(me, true)
              od;
              assert(runs[other] == posted[me])
           :: skip                                      /* wait: false */
           fi
#ifdef SIGNED_SEQUENCE_AS_FLAG
        fi;
#endif
        assert(ok)
    }
    finished++;
end_idle:                                               /* hlt: only an interrupt wakes it */
    do
    :: atomic { ipi[me] -> ipi[me] = false }; service(me)
    :: atomic { kick[me] -> kick[me] = false }          /* a kick that came after its wait ended */
    od
}

/* CPU i's store buffer draining to memory, whenever the hardware pleases. */
proctype Memory(byte i) {
end_drain:
    do
    :: atomic { buffered[i] -> requested[1 - i] = buffered_value[i]; buffered[i] = false }
    :: atomic { cbuffered[i] -> completed[i] = cbuffered_value[i]; cbuffered[i] = false }
    od
}

init {
    atomic { run Memory(0); run Memory(1); run Cpu(0); run Cpu(1) }
    finished == 2;
    timeout -> assert(runs[0] == posted[1] && runs[1] == posted[0])   /* all quiet: every request ran */
}

ltl every_request_runs { <> [] (runs[0] == posted[1] && runs[1] == posted[0]) }
ltl every_sender_returns { <> (finished == 2) }

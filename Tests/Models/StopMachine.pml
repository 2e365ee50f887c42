/*
 * stop_machine: Kernel/Smp/StopMachine.cs (Run, Participate, WaitFor, Acknowledge). The caller posts a request to
 * every other online CPU (a cross-CPU call; Tests/Models/CrossCpuCall.pml checks that delivery), then takes part
 * itself. Every CPU acknowledges each step (Prepare, DisableInterrupts, Run, Exit); the last acknowledgement of a
 * step resets the count and advances the step. During Run the selected CPUs run fn. The caller returns once the
 * machine is Idle again, then may start the next round.
 *
 * A CPU waiting for a step may, at any moment, take the halt step of Kernel/Sync/SpinThenHalt.cs (Until, HaltStep):
 * interrupts off, it publishes its record, counts itself into s_stepHalted with a locked increment (which drains
 * its store buffer), looks at the step once more and halts until kicked. The last acknowledger stores the next step
 * (a plain store, buffered until a Memory process drains it), fences, reads s_stepHalted and kicks every CPU whose
 * record waits on the step (Wake). The tick, which also ends such a halt in the kernel (for the time-out), is left
 * out: no wake-up may depend on it.
 *
 * Checked, over ROUNDS rounds with CPUS CPUs: fn runs exactly once per round on each selected CPU, and while it
 * runs every CPU is inside the rendezvous with interrupts off; no acknowledgement leaks into the next round; no
 * deadlock. (With one CPU online Run calls fn directly; nothing to model.)
 *
 * Seeded mistakes, each rejected by the safety run:
 *   ACK_BEFORE_FN       a CPU acknowledges Run before running fn: the others may leave while fn runs
 *   NO_WAIT_FOR_IDLE    the caller returns once its own part is done, not when every CPU has acknowledged Exit: a
 *                       late acknowledgement lands in the next round's count
 *   NO_WAKE_FENCE       the last acknowledger reads s_stepHalted without a fence after storing the step: a waiter
 *                       counted in may still see the old step and halt for good                  (invalid end state)
 */

#ifndef CPUS
#define CPUS 3
#endif
#define ROUNDS 2

#define IDLE 0
#define PREPARE 1
#define DISABLE_INTERRUPTS 2
#define RUN 3
#define EXIT 4

byte step = IDLE;
byte acknowledged;
byte round;                   /* the caller's current round */
bool posted[CPUS];            /* the stopper request in CPU i's inbox */
bool interrupts_off[CPUS];
bool inside[CPUS];            /* between its first wait and its serialising CPUID */
byte runs[CPUS];
byte expected[CPUS];          /* rounds in which CPU i was selected */
bool selected[CPUS];
byte step_halted;             /* StopMachine.s_stepHalted */
bool waiting[CPUS];           /* CPU i's record: it may be halted waiting on the step */
bool kick[CPUS];              /* the kick vector pending at CPU i */
bool buffered[CPUS];          /* CPU i's store buffer holds its store to step */
byte buffered_step[CPUS];

/* The step as CPU me reads it: its own buffered store first (store forwarding). */
#define STEP_SEEN(me) (buffered[me] -> buffered_step[me] : step)

/* WaitFor: SpinThenHalt.Until(&s_step, want, Equals, &s_stepHalted, ...), spinning or taking the halt step. */
inline wait_for(me, want) {
    do
    :: STEP_SEEN(me) == want -> break
    :: STEP_SEEN(me) != want ->
       atomic { !buffered[me] -> waiting[me] = true; step_halted++ }
       if
       :: step == want -> skip
       :: else -> atomic { kick[me] -> kick[me] = false }   /* sti; hlt, the task priority letting in the kick */
       fi;
       atomic { step_halted--; waiting[me] = false }
    od
}

/* The last acknowledger after storing the next step: SpinThenHalt.Wake. */
inline wake(me) {
#ifndef NO_WAKE_FENCE
    !buffered[me];
#endif
    d_step {
        if
        :: step_halted > 0 ->
           for (j : 0 .. CPUS - 1) { if :: waiting[j] -> kick[j] = true :: else -> skip fi }
        :: else -> skip
        fi;
        j = 0
    }
}

inline acknowledge(me, s) {
    bool last;
    atomic {
        !buffered[me] ->                               /* lock xadd: drains this CPU's store buffer */
        acknowledged++;
        if
        :: acknowledged == CPUS ->
           acknowledged = 0;
           buffered[me] = true;
           buffered_step[me] = (s == EXIT -> IDLE : s + 1);
           last = true
        :: else -> skip
        fi
    }
    if
    :: last -> wake(me); last = false
    :: else -> skip
    fi
}

inline run_fn(me) {
    atomic {
        for (j : 0 .. CPUS - 1) { assert(inside[j] && interrupts_off[j]) }
        runs[me]++
    }
}

inline participate(me) {
    byte s;
    inside[me] = true;
    for (s : PREPARE .. EXIT) {
        wait_for(me, s);
        if :: s == DISABLE_INTERRUPTS -> interrupts_off[me] = true :: else -> skip fi;
#ifdef ACK_BEFORE_FN
        acknowledge(me, s);
        if :: s == RUN && selected[me] -> run_fn(me) :: else -> skip fi;
#else
        if :: s == RUN && selected[me] -> run_fn(me) :: else -> skip fi;
        acknowledge(me, s);
#endif
    }
    atomic { inside[me] = false; interrupts_off[me] = false }   /* CPUID, then interrupts as they were */
}

proctype Other(byte me) {
    byte j;
end_idle:
    do
    :: atomic { posted[me] -> posted[me] = false };
       participate(me)
    :: atomic { kick[me] -> kick[me] = false }          /* a kick that came after its wait ended */
    od
}

/* CPU i's store buffer draining to memory, whenever the hardware pleases. */
proctype Memory(byte i) {
end_drain:
    do
    :: atomic { buffered[i] -> step = buffered_step[i]; buffered[i] = false }
    od
}

proctype Caller() {
    byte i, j;
    for (round : 1 .. ROUNDS) {
        atomic {
            !buffered[0];                                 /* (its last store has drained: it takes a lock first) */
            for (i : 0 .. CPUS - 1) {
                selected[i] = (i + round) % 2 == 0;       /* different CPUs each round */
                if :: selected[i] -> expected[i]++ :: else -> skip fi
            }
            acknowledged = 0;
            step = PREPARE
        }
        for (i : 1 .. CPUS - 1) { posted[i] = true }
        participate(0);
#ifndef NO_WAIT_FOR_IDLE
        wait_for(0, IDLE);                                /* every CPU acknowledged Exit */
#endif
        atomic { for (i : 0 .. CPUS - 1) { assert(runs[i] == expected[i]) } }
    }
}

init {
    byte i;
    atomic {
        for (i : 0 .. CPUS - 1) { run Memory(i) }
        for (i : 1 .. CPUS - 1) { run Other(i) }
        run Caller()
    }
}

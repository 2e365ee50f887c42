/*
 * stop_machine: Kernel/Smp/StopMachine.cs (Run, Participate, WaitFor, Acknowledge). The caller posts a request to
 * every other online CPU (a cross-CPU call; Tests/Models/CrossCpuCall.pml checks that delivery), then takes part
 * itself. Every CPU acknowledges each step (Prepare, DisableInterrupts, Run, Exit); the last acknowledgement of a
 * step resets the count and advances the step. During Run the selected CPUs run fn. The caller returns once the
 * machine is Idle again, then may start the next round.
 *
 * Checked, over ROUNDS rounds with CPUS CPUs: fn runs exactly once per round on each selected CPU, and while it
 * runs every CPU is inside the rendezvous with interrupts off; no acknowledgement leaks into the next round; no
 * deadlock. (With one CPU online Run calls fn directly; nothing to model.)
 *
 * Seeded mistakes, each rejected by the safety run:
 *   ACK_BEFORE_FN       a CPU acknowledges Run before running fn: the others may leave while fn runs
 *   NO_WAIT_FOR_IDLE    the caller returns once its own part is done, not when every CPU has acknowledged Exit: a
 *                       late acknowledgement lands in the next round's count
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

inline acknowledge(s) {
    atomic {
        acknowledged++;
        if
        :: acknowledged == CPUS -> acknowledged = 0; step = (s == EXIT -> IDLE : s + 1)
        :: else -> skip
        fi
    }
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
        step == s;                                    /* WaitFor */
        if :: s == DISABLE_INTERRUPTS -> interrupts_off[me] = true :: else -> skip fi;
#ifdef ACK_BEFORE_FN
        acknowledge(s);
        if :: s == RUN && selected[me] -> run_fn(me) :: else -> skip fi;
#else
        if :: s == RUN && selected[me] -> run_fn(me) :: else -> skip fi;
        acknowledge(s);
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
    od
}

proctype Caller() {
    byte i, j;
    for (round : 1 .. ROUNDS) {
        atomic {
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
        step == IDLE;                                     /* every CPU acknowledged Exit */
#endif
        atomic { for (i : 0 .. CPUS - 1) { assert(runs[i] == expected[i]) } }
    }
}

init {
    byte i;
    atomic {
        for (i : 1 .. CPUS - 1) { run Other(i) }
        run Caller()
    }
}

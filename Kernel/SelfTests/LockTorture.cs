using Kernel.Arch;
using Kernel.Lib;
using Kernel.Smp;
using Kernel.Sync;
using Kernel.Testing;

namespace Kernel.SelfTests
{
    /// <summary>
    /// Lock torture: every CPU, for `torture.seconds` (default 1; `selftest=locktorture torture.seconds=600`
    /// for a long run; the hot-plug tests run short bursts between transitions), takes two spinlocks (alone and nested, always in the same order) and the big kernel
    /// lock at random, with random work inside. Afterwards each lock's plain counter must equal the sum of
    /// the acquisitions the CPUs counted, no critical section may have seen another CPU inside, no waiter
    /// may have had more than (CPUs - 1) holders ahead, and every lock must be free.
    /// </summary>
    [SelfTestSuite("locktorture")]
    public static unsafe class LockTorture
    {
        private const int Locks = 3;   // spinlock A, spinlock B, the big kernel lock

        private static SpinLock s_a, s_b;
        private static int* s_counters;       // [lock]
        private static int* s_inside;         // [lock]: CPUs inside right now (must be 0 or 1)
        private static ulong* s_perCpu;       // [cpu * Locks + lock]
        private static int s_violations, s_maxAhead, s_arrived;
        private static ulong s_deadline;

        [SelfTest]
        public static void LocksStayExactUnderRandomLoad()
        {
            ulong seconds = SelfTestRunner.PositiveOption("torture.seconds", 1, "number of seconds");
            ulong total = Hammer(seconds * 1_000_000);
            var note = new TextBuilder().Append((ulong)Cpus.OnlineCount).Append(" CPUs, ").Append(seconds).Append(" s, ")
                .Append(total).Append(" acquisitions, 0 violations");
            SelfTestRunner.Note(note.ToString());
        }

        /// <summary>Every online CPU tortures the locks for <paramref name="micros"/>; asserts the invariants; returns the acquisitions.</summary>
        public static ulong Hammer(ulong micros)
        {
            if (s_counters == null)
            {
                s_counters = (int*)Scratch.Allocate(Locks * sizeof(int));
                s_inside = (int*)Scratch.Allocate(Locks * sizeof(int));
                s_perCpu = (ulong*)Scratch.Allocate((ulong)(Cpus.Capacity * Locks * sizeof(ulong)));
            }
            Lib.Memory.Zero(s_counters, Locks * sizeof(int));
            Lib.Memory.Zero(s_perCpu, (nuint)(Cpus.Capacity * Locks * sizeof(ulong)));
            s_violations = s_maxAhead = s_arrived = 0;
            s_deadline = 0;

            bool ran = CrossCpuCall.CallOnAll(&Torture, (void*)micros, includeSelf: true, timeoutMicros: micros + 60_000_000);
            Assert.True(ran, "every CPU finished its torture run");

            ulong total = 0;
            for (int lockIndex = 0; lockIndex < Locks; lockIndex++)
            {
                ulong counted = 0;
                for (int cpu = 0; cpu < Cpus.Count; cpu++) counted += s_perCpu[cpu * Locks + lockIndex];
                Assert.Equal(counted, (ulong)s_counters[lockIndex], "a lock's counter equals the acquisitions counted by the CPUs");
                total += counted;
            }
            Assert.Equal(0ul, (ulong)s_violations, "no CPU ever found another inside a critical section");
            Assert.True(s_maxAhead <= Cpus.OnlineCount - 1, "no waiter had more than (CPUs - 1) holders ahead");
            Assert.False(s_a.IsHeld || s_b.IsHeld || BigKernelLock.Owner != -1, "every lock is free at the end");
            return total;
        }

        private static void Torture(void* microsArgument)
        {
            Atomic.Increment(ref s_arrived);
            ulong patience = Tsc.Read() + 10 * Tsc.Hz;                // a CPU that never comes fails the run, not hangs it
            while (Atomic.Read(ref s_arrived) < Cpus.OnlineCount && Tsc.Read() < patience) CpuNative.Pause();
            if (KernelCpu.Current->Index == 0) Atomic.Write(ref s_deadline, Tsc.DeadlineAfter((ulong)microsArgument));
            while (Atomic.Read(ref s_deadline) == 0 && Tsc.Read() < patience + 10 * Tsc.Hz) CpuNative.Pause();

            uint cpu = KernelCpu.Current->Index;
            // A CPU spinning for the big kernel lock runs calls from its wait loop (a CPU just restarted by hot-plug, say):
            // a call may not take the lock there, so that CPU tortures the spinlocks only.
            bool mayTakeBkl = Atomic.Read(ref KernelCpu.Current->Bkl.Waiting) == 0;
            var generator = new Xorshift(0x9E37_79B9_7F4A_7C15UL * (cpu + 1));
            while (Tsc.Read() < s_deadline)
            {
                ulong random = generator.Next();
                int work = (int)(random >> 60);
                ulong kind = random & 3;
                if (kind == 2 && !mayTakeBkl) kind = 0;
                switch (kind)
                {
                    case 0:
                        TrackQueueDepth(s_a.Acquire());
                        Critical(0, cpu, work);
                        s_a.Release();
                        break;
                    case 1:
                        TrackQueueDepth(s_b.Acquire());
                        Critical(1, cpu, work);
                        s_b.Release();
                        break;
                    case 2:
                        BigKernelLock.Enter();
                        Critical(2, cpu, work);
                        BigKernelLock.Exit();
                        break;
                    default:
                        TrackQueueDepth(s_a.Acquire());                    // nested, always A before B
                        Critical(0, cpu, work);
                        TrackQueueDepth(s_b.Acquire());
                        Critical(1, cpu, work);
                        s_b.Release();
                        s_a.Release();
                        break;
                }
            }
        }

        private static void TrackQueueDepth(int ahead)
        {
            if (ahead > Atomic.Read(ref s_maxAhead)) Atomic.Write(ref s_maxAhead, ahead);   // racy max: only ever grows
        }

        private static void Critical(int lockIndex, uint cpu, int work)
        {
            if (Atomic.Increment(ref s_inside[lockIndex]) != 1) Atomic.Increment(ref s_violations);
            s_counters[lockIndex]++;
            for (int i = 0; i < work; i++) CpuNative.Pause();
            s_perCpu[cpu * Locks + lockIndex]++;
            Atomic.Decrement(ref s_inside[lockIndex]);
        }
    }
}

using System.Runtime.CompilerServices;
using Kernel.Arch;
using Kernel.Smp;

namespace Kernel.Sync
{
    /// <summary>One CPU's share of the big kernel lock's statistics.</summary>
    public struct LockStatistics
    {
        public ulong Acquisitions;
        public ulong Contended;        // acquisitions that found another CPU ahead
        public ulong WaitCycles;       // TSC cycles spent waiting
        public ulong LongestWait;      // the longest single wait, in TSC cycles
    }

    /// <summary>The big kernel lock's part of a CPU's block (Kernel/Smp/KernelCpu.cs).</summary>
    public struct BigKernelLockCpu
    {
        public LockStatistics Statistics;
        public int Waiting;                    // 1 while waiting for the lock
        public int InterruptsWereEnabled;      // restored when the holder leaves the lock
    }

    /// <summary>
    /// The big kernel lock, after MINIX 3: one CPU at a time runs core kernel code. Interrupt handlers
    /// and kernel calls enter it and leave it on exit; processes run in parallel outside it. It is
    /// a ticket lock, so CPUs get it in the order they asked, waiting as Kernel/Sync/SpinThenHalt.cs does (spinning, or
    /// halting until kicked under a hypervisor). Its holder runs with interrupts off, which
    /// makes re-entry from an interrupt on the same CPU impossible (and a bug, caught by a panic). A CPU
    /// waiting for it keeps servicing cross-CPU requests — the holder may be waiting for exactly that —
    /// as seL4's lock does. Those requests therefore run while their CPU waits for the lock, so they must
    /// not take it themselves (a second ticket behind its own first one would never be served): as in
    /// MINIX, a caller that needs kernel state changed on another CPU holds the lock on the target's
    /// behalf. Each CPU keeps statistics of its own waits in its block (KernelCpu.Bkl). In a uniprocessor build
    /// (MaxCpus=1) disabling interrupts is the whole lock; the owner checks stay. Model: Tests/Models/BigKernelLock.pml.
    /// </summary>
    public static unsafe class BigKernelLock
    {
        private static TicketLock s_words;
        private static int s_ownerPlusOne;
        private static ulong s_ownerFile;
        private static int s_ownerLine;

        /// <summary>The CPU holding the lock, or -1.</summary>
        public static int Owner => Atomic.Read(ref s_ownerPlusOne) - 1;

        public static void Enter([CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        {
            InterruptState state = InterruptState.Disable();
            KernelCpu* cpu = KernelCpu.Current;
            if (s_ownerPlusOne == (int)cpu->Index + 1)
                LockDiagnostics.Fail("big kernel lock entered again by the CPU that holds it", (int)cpu->Index, s_ownerFile, s_ownerLine, file, line);
            if (cpu->Bkl.Waiting != 0)
                LockDiagnostics.Fail("big kernel lock entered by a cross-CPU request run while its CPU waits for the lock", s_ownerPlusOne - 1, s_ownerFile, s_ownerLine, file, line);

            cpu->Bkl.Statistics.Acquisitions++;
            if (BuildConfiguration.Uniprocessor)
            {
                s_words.Next = s_words.Serving + 1;   // nobody to wait for: interrupts off is the whole lock (see SpinLock)
            }
            else
            {
                int ticket = Atomic.TakeTicket(ref s_words.Next);
                if (Atomic.Read(ref s_words.Serving) != ticket) WaitForTurn(cpu, ticket);
            }
            s_ownerPlusOne = (int)cpu->Index + 1;
            s_ownerFile = LockDiagnostics.AddressOf(file);
            s_ownerLine = line;
            cpu->Bkl.InterruptsWereEnabled = state.WasEnabled ? 1 : 0;
        }

        // Another CPU holds the lock: wait for our ticket, serving cross-CPU requests meanwhile.
        private static void WaitForTurn(KernelCpu* cpu, int ticket)
        {
            cpu->Bkl.Statistics.Contended++;
            Atomic.Write(ref cpu->Bkl.Waiting, 1);
            ulong start = Tsc.Read();
            SpinThenHalt.WaitForTicket(Words, ticket, serviceCalls: true);
            ulong waited = Tsc.Read() - start;
            Atomic.Write(ref cpu->Bkl.Waiting, 0);
            cpu->Bkl.Statistics.WaitCycles += waited;
            if (waited > cpu->Bkl.Statistics.LongestWait) cpu->Bkl.Statistics.LongestWait = waited;
        }

        public static void Exit([CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        {
            KernelCpu* cpu = KernelCpu.Current;
            if (s_ownerPlusOne != (int)cpu->Index + 1)
                LockDiagnostics.Fail("big kernel lock left by a CPU that does not hold it", s_ownerPlusOne - 1, s_ownerFile, s_ownerLine, file, line);
            bool enableInterrupts = cpu->Bkl.InterruptsWereEnabled != 0;
            Atomic.Write(ref s_ownerPlusOne, 0);
            if (BuildConfiguration.Uniprocessor) Atomic.Write(ref s_words.Serving, s_words.Serving + 1);
            else SpinThenHalt.ReleaseTicket(Words);
            if (enableInterrupts) CpuNative.EnableInterrupts();
        }

        private static TicketLock* Words => (TicketLock*)Unsafe.AsPointer(ref s_words);

        /// <summary>Enter, as Arch.x86/Interrupts.cs does around a handler registered to take the lock (KernelEntry).</summary>
        public static void EnterForInterrupt() => Enter();

        /// <summary>Exit, after that handler.</summary>
        public static void ExitForInterrupt() => Exit();

        public static bool HeldByCurrentCpu => s_ownerPlusOne == (int)KernelCpu.Current->Index + 1;

        /// <summary>A copy of one CPU's statistics.</summary>
        public static LockStatistics StatisticsOf(int cpuIndex) => Cpus.Get(cpuIndex)->Bkl.Statistics;
    }
}

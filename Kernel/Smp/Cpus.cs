using Kernel.Arch;

namespace Kernel.Smp
{
    /// <summary>
    /// Every CPU the kernel knows, by dense index (0 = the boot CPU). The table is filled on the boot
    /// CPU before any AP starts and never shrinks, so other CPUs may read it without a lock.
    /// </summary>
    public static unsafe class Cpus
    {
        /// <summary>The most CPUs the kernel supports: the MaxCpus build setting (dotnet build -p:MaxCpus=N).</summary>
        public const int MaxCpus = BuildConfiguration.MaxCpus;

        private static KernelCpu*[] s_table;
        private static int s_count;
        private static int s_online = 1;

        public static int Count => s_count;

        /// <summary>
        /// How many CPUs this boot can ever have: the CPU table's size, and what every per-CPU table is sized by, so
        /// per-CPU memory follows the machine, not the build's maximum. The MADT's CPU entries (hot-plug slots
        /// included; the parser already capped them at <see cref="MaxCpus"/>), plus <paramref name="extra"/>.
        /// </summary>
        public static int Capacity { get; private set; } = 1;
        public static int OnlineCount => Atomic.Read(ref s_online);

        /// <summary>The CPUs online right now.</summary>
        public static CpuSet OnlineSet
        {
            get
            {
                var set = new CpuSet();
                for (int i = 0; i < s_count; i++)
                    if (s_table[i]->CpuState == CpuState.Online) set.Add(i);
                return set;
            }
        }

        public static KernelCpu* Get(int index) => (uint)index < (uint)s_count ? s_table[index] : null;

        /// <summary>CPU 0, and the table's size: <paramref name="extra"/> entries beyond the MADT's (test.ghost-ap's one).</summary>
        public static void RegisterBootCpu(Arch.Acpi.MadtInfo madt, int extra)
        {
            int listed = madt.Cpus.Length > 0 ? madt.Cpus.Length : 1;
            Capacity = listed + extra < MaxCpus ? listed + extra : MaxCpus;
            s_table = new KernelCpu*[Capacity];
            KernelCpu* boot = KernelCpu.Current;
            for (int i = 0; i < madt.Cpus.Length; i++)
                if (madt.Cpus[i].IsBootCpu) boot->Arch.AcpiUid = madt.Cpus[i].Uid;
            s_table[0] = boot;
            s_count = 1;
            CrossCpuCall.PrepareInbox(boot);
        }

        /// <summary>Adds a CPU with its own block; the caller prepares its tables and stack. Null when the table is full.</summary>
        public static KernelCpu* Add(uint apicId, uint acpiUid)
        {
            if (s_count == Capacity) return null;
            var cpu = (KernelCpu*)Memory.KernelHeap.Allocate((ulong)sizeof(KernelCpu));
            cpu->Arch.Self = &cpu->Arch;
            cpu->Arch.Index = (uint)s_count;
            cpu->Arch.ApicId = apicId;
            cpu->Arch.AcpiUid = acpiUid;
            cpu->ReportedDead = 1;   // not started yet: it runs no kernel code (ApEntry clears this on arrival)
            CrossCpuCall.PrepareInbox(cpu);
            s_table[s_count] = cpu;
            Atomic.Write(ref s_count, s_count + 1);
            return cpu;
        }

        /// <summary>
        /// No CPU but <paramref name="self"/> can be running kernel code: each is parked and reported dead, failed and
        /// halted, or never started. A CPU that left the online set without reporting dead (a straggler) may still
        /// run, holding the big kernel lock or inside a lock site: the alternatives must not go UP around it.
        /// </summary>
        public static bool OthersQuiescent(int self, out int running)
        {
            for (running = 0; running < s_count; running++)
                if (running != self && Atomic.Read(ref s_table[running]->ReportedDead) == 0) return false;
            running = -1;
            return true;
        }

        public static KernelCpu* FindByApicId(uint apicId)
        {
            for (int i = 0; i < s_count; i++)
                if (s_table[i]->ApicId == apicId) return s_table[i];
            return null;
        }

        /// <summary>
        /// The executing CPU's last start-up step: Starting → Online. False if the boot CPU already gave
        /// up on it (Failed): it arrived too late and must park itself instead.
        /// </summary>
        public static bool TryMarkOnline(KernelCpu* cpu)
        {
            cpu->OnlineSinceTsc = CpuNative.ReadTsc();
            // Count first, then publish the state: whoever sees Online also sees the count that includes it.
            Atomic.Increment(ref s_online);
            if (Atomic.CompareExchange(ref cpu->State, (int)CpuState.Online, (int)CpuState.Starting) == (int)CpuState.Starting)
                return true;
            Atomic.Decrement(ref s_online);
            return false;
        }

        /// <summary>The executing CPU leaves the online set for good (it is about to halt with interrupts off).</summary>
        public static void MarkParked(KernelCpu* cpu)
        {
            if (cpu->CpuState != CpuState.Online) return;
            Atomic.Decrement(ref s_online);                     // as above: the count moves before the state does
            Atomic.Write(ref cpu->State, (int)CpuState.Parked);
        }

        /// <summary>Before a parked CPU is started again: Parked → Starting.</summary>
        public static bool TryMarkRestarting(KernelCpu* cpu) =>
            Atomic.CompareExchange(ref cpu->State, (int)CpuState.Starting, (int)CpuState.Parked) == (int)CpuState.Parked;

        /// <summary>The boot CPU's verdict on a CPU that did not arrive in time: Starting → Failed, unless it just made it.</summary>
        public static bool TryMarkFailed(KernelCpu* cpu) =>
            Atomic.CompareExchange(ref cpu->State, (int)CpuState.Failed, (int)CpuState.Starting) == (int)CpuState.Starting;
    }
}

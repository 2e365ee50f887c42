using Kernel.Arch;
using Kernel.Lib;
using Kernel.Memory;

namespace Kernel.Smp
{
    /// <summary>
    /// When the kernel may rewrite itself between its one-CPU and its SMP form: the policy half of the alternatives,
    /// which Arch.x86/Alternatives.cs patches. To UP only when every other CPU is halted for good: counting online CPUs is
    /// not enough, a CPU that left the online set may still be running (model: Tests/Models/HotplugGate.pml). To SMP
    /// only while this CPU is the one online, before a second one starts.
    /// </summary>
    public static class UpSmpSwitch
    {
        /// <summary>True if the code is in its UP form afterwards; false (and no change) while another CPU may run.</summary>
        public static bool ToUp()
        {
            if (Alternatives.Mode == AlternativesMode.Smp && Alternatives.CanSwitch
                && !Cpus.OthersQuiescent((int)PerCpu.CurrentIndex, out int running))
            {
                Log.Warn("alternatives", $"refusing the UP switch: CPU {running} may be running kernel code ({Cpus.OnlineCount} CPUs online)");
                return false;
            }
            return Alternatives.SwitchToUp();
        }

        /// <summary>Every lock prefix and SMP sequence back before a second CPU starts; false if the tables are gone.</summary>
        public static bool ToSmp()
        {
            if (Alternatives.Mode == AlternativesMode.Up && Alternatives.CanSwitch && Cpus.OnlineCount != 1)
                Panic.Halt("alternatives: switching to SMP with other CPUs already online");
            return Alternatives.SwitchToSmp();
        }

        /// <summary>No CPU can ever join: the tables' pages go back to the page allocator and the UP form stays.</summary>
        public static void ReleaseTables()
        {
            if (!Alternatives.ReleaseTables(out ulong start, out ulong pages)) return;
            PhysicalMemory.FreePagesAt(start, pages);
            Log.Info("alternatives", $"no CPU can ever join: {pages * PageTables.PageSize / 1024} KiB of SMP tables released to the page allocator");
        }
    }
}

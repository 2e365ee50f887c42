using Kernel.Arch;
using Kernel.Arch.Acpi;
using Kernel.Diagnostics;
using Kernel.Lib;
using Kernel.Memory;
using Kernel.Smp;
using Kernel.Sync;

namespace Kernel.Proc
{
    /// <summary>One CPU as a process may see it: values copied from its per-CPU block.</summary>
    [ProcessApi]
    public struct CpuInfo
    {
        public uint ApicId;
        public CpuState State;
        public ulong OnlineSinceMicros;
        public ulong TimerTicks;
        public ulong BklAcquisitions, BklContended, BklWaitCycles, BklLongestWait;
    }

    /// <summary>One process as a process may see it; the affinity is summarised, as `ps` shows it.</summary>
    [ProcessApi]
    public struct ProcessInfo
    {
        public int Slot, Endpoint, Priority, RunningOn, LastCpu;
        public string Name, StateName;
        public bool IsSystem;                 // the kernel task, a server or the shell: `kill` refuses it
        public bool AffinityAll;              // every CPU the kernel can hold
        public bool AffinityFitsMask;         // no CPU from 24 up: AffinityMask says it all
        public ulong AffinityMask;            // CPUs 0-63
        public int AffinityCount, AffinityFirst;
        public ulong CpuCycles, Switches, Migrations;
        public HeapInfo Heap;                 // its own heap; all zero for the kernel task, idle and kernel threads
    }

    /// <summary>Memory as `mem` shows it: the page allocator, the kernel heap, the processes' heaps.</summary>
    [ProcessApi]
    public struct MemoryInfo
    {
        public ulong FreePages, TotalPages, ReservePages;
        public ulong KernelHeapBytes, KernelHeapReserved, KernelHeapAllocations, KernelHeapChunks;
        public ulong ProcessHeapPages, ProcessHeaps;
        public HeapInfo KernelTaskHeap;       // Kernel/Memory/KernelTaskHeap.cs
    }

    /// <summary>A process's heap (Kernel/Memory/ProcessMemory.cs): its pages, what was live after its last collection, its pauses.</summary>
    [ProcessApi]
    public struct HeapInfo
    {
        public ulong Pages;
        public ulong LiveBytes;               // after the last collection
        public ulong Collections;
        public ulong LongestPauseMicros;
    }

    /// <summary>The code patcher's state and the CPU-feature choices it made.</summary>
    [ProcessApi]
    public struct AlternativesInfo
    {
        public string ModeName;
        public bool TablesReleased;
        public int LockSites, ManagedLockSites, Sequences, FeatureSites;
        public ulong Switches, LastSwitchAtMicros, LastSwitchMicros;
        public bool Sse2Fence, X2ApicEoi, X2ApicMode, UnfencedApicMsrWrites;
    }

    /// <summary>The MADT's header, flags and entry counts; the entries through <see cref="Snapshots.MadtEntryAt"/>.</summary>
    [ProcessApi]
    public struct MadtSummary
    {
        public bool Valid;
        public string Error;                  // why not Valid: null when there is no MADT
        public byte Revision;
        public ulong OemIdRaw;
        public ulong LocalApicAddress;
        public bool LocalApicAddressOverridden, PcAtCompat;
        public int Cpus, IoApics, Overrides, NmiSources, LocalNmis, Warnings;
    }

    [ProcessApi]
    public enum MadtEntryKind { Cpu, IoApic, Override, NmiSource, LocalNmi }

    /// <summary>A MADT entry, any kind: each kind fills the fields it has (<see cref="Snapshots.MadtEntryAt"/>).</summary>
    [ProcessApi]
    public struct MadtEntry
    {
        public uint Id, Uid, Address, Gsi;
        public byte Line;                     // an override's ISA IRQ, a local NMI's LINT pin
        public bool IsX2Apic, Enabled, OnlineCapable, IsBootCpu, AllProcessors;
        public InterruptPolarity Polarity;
        public InterruptTrigger Trigger;
    }

    /// <summary>
    /// The read-only snapshots the kernel publishes for processes (docs/processes.md): each reader copies kernel state
    /// into a value the caller owns, so a process sees numbers and immutable strings, never the kernel's tables.
    /// A snapshot is not atomic across calls: a row is consistent only as far as the kernel's own fields are.
    /// </summary>
    [ProcessApi]
    public static unsafe class Snapshots
    {
        public static int CpuCount => Cpus.Count;
        public static int OnlineCpuCount => Cpus.OnlineCount;
        public static ulong TscHz => Tsc.Hz;
        /// <summary>A clock read: the TSC now, TscHz cycles a second.</summary>
        public static ulong TscNow => Tsc.Read();

        /// <summary>The CPU the caller runs on (interrupts off for the read, or it could move in between); it may move after.</summary>
        public static int CurrentCpu
        {
            get
            {
                InterruptState state = InterruptState.Disable();
                int cpu = (int)KernelCpu.Current->Index;
                state.Restore();
                return cpu;
            }
        }
        public static ulong ConsoleInputDropped => ConsoleInput.Dropped;

        public static CpuInfo Cpu(int index)
        {
            KernelCpu* cpu = Cpus.Get(index);
            if (cpu == null) return new CpuInfo { State = CpuState.Absent };
            LockStatistics bkl = cpu->Bkl.Statistics;
            return new CpuInfo
            {
                ApicId = cpu->ApicId,
                State = cpu->CpuState,
                OnlineSinceMicros = Tsc.MicrosecondsAt(cpu->OnlineSinceTsc),
                TimerTicks = cpu->Arch.TimerTicks,
                BklAcquisitions = bkl.Acquisitions,
                BklContended = bkl.Contended,
                BklWaitCycles = bkl.WaitCycles,
                BklLongestWait = bkl.LongestWait,
            };
        }

        /// <summary>The process in <paramref name="slot"/>; false for a free slot.</summary>
        public static bool ProcessAt(int slot, out ProcessInfo info)
        {
            Process process = ProcessTable.At(slot);
            info = default;
            if (process == null || (process.Flags & ProcessFlags.SlotFree) != 0) return false;
            info = Copy(process);
            return true;
        }

        /// <summary>The live process with <paramref name="endpoint"/>; false when none has it.</summary>
        public static bool ProcessWith(int endpoint, out ProcessInfo info)
        {
            Process process = ProcessTable.Lookup(endpoint, out _);
            info = process == null ? default : Copy(process);
            return process != null;
        }

        private static ProcessInfo Copy(Process process)
        {
            CpuSet every = CpuSet.FirstN(Cpus.Capacity);
            CpuSet affinity = process.Affinity;
            return new ProcessInfo
            {
                Slot = process.Slot,
                Endpoint = process.Endpoint,
                Name = NameOf(process),
                StateName = Process.StateName(process.State),
                Priority = process.Priority,
                RunningOn = process.RunningOn,
                LastCpu = process.LastCpu,
                IsSystem = process.IsSystem || process.Slot == ProcessTable.KernelTaskSlot,
                AffinityAll = every.SetEquals(CpuSet.Intersection(affinity, every)),
                AffinityFitsMask = affinity.Next(24) < 0,
                AffinityMask = affinity.FirstWord,
                AffinityCount = affinity.Count,
                AffinityFirst = affinity.Next(0),
                CpuCycles = process.CpuCycles,
                Switches = process.Switches,
                Migrations = process.Migrations,
                Heap = HeapOf(process),
            };
        }

        public static MemoryInfo Memory()
        {
            var info = new MemoryInfo
            {
                FreePages = PhysicalMemory.FreePages,
                TotalPages = PhysicalMemory.TotalPages,
                ReservePages = ProcessMemory.ReservePages,
                KernelHeapBytes = KernelHeap.BytesAllocated,
                KernelHeapReserved = KernelHeap.BytesReserved,
                KernelHeapAllocations = KernelHeap.Allocations,
                KernelHeapChunks = KernelHeap.Chunks,
                KernelTaskHeap = HeapOf(ProcessTable.KernelTask),
            };
            for (int slot = 0; slot < Endpoint.Slots; slot++)
            {
                Process process = ProcessTable.At(slot);
                if (slot == ProcessTable.KernelTaskSlot || !process.HasOwnHeap || process.MemoryBlock->Heap.Pages == 0) continue;
                info.ProcessHeapPages += process.MemoryBlock->Heap.Pages;
                info.ProcessHeaps++;
            }
            return info;
        }

        /// <summary>Snapshots cut longer process names to this many characters.</summary>
        public const int MaxNameLength = 64;

        // The name copied into the caller's heap, so a process keeps no reference to kernel memory: the name may live in
        // the kernel task's heap, collected once the kernel drops it (KernelTaskHeap). The characters are read under the
        // big kernel lock, which that collection holds too, onto the stack: allocating under the lock would go to the
        // kernel heap (model: Tests/Models/KernelTaskCollection.pml).
        private static string NameOf(Process process)
        {
            char* chars = stackalloc char[MaxNameLength];
            bool lockHere = !BigKernelLock.HeldByCurrentCpu;
            if (lockHere) BigKernelLock.Enter();
            string name = process.Name;
            int length = name == null ? -1 : name.Length < MaxNameLength ? name.Length : MaxNameLength;
            for (int i = 0; i < length; i++) chars[i] = name[i];
            if (lockHere) BigKernelLock.Exit();
            return length < 0 ? null : new string(chars, 0, length);
        }

        internal static HeapInfo HeapOf(Process process)
        {
            if (!process.HasOwnHeap) return default;
            ProcessMemory* memory = process.MemoryBlock;
            return new HeapInfo
            {
                Pages = memory->Heap.Pages,
                LiveBytes = memory->LiveBytes,
                Collections = memory->Collections,
                LongestPauseMicros = Tsc.ToMicroseconds(memory->LongestPauseCycles),
            };
        }

        public static AlternativesInfo Alternatives() => new AlternativesInfo
        {
            ModeName = Arch.Alternatives.ModeName,
            TablesReleased = Arch.Alternatives.TablesReleased,
            LockSites = Arch.Alternatives.LockSiteCount,
            ManagedLockSites = Arch.Alternatives.ManagedLockSiteCount,
            Sequences = Arch.Alternatives.SequenceCount,
            FeatureSites = Arch.Alternatives.FeatureSiteCount,
            Switches = Arch.Alternatives.Switches,
            LastSwitchAtMicros = Arch.Alternatives.LastSwitchAtMicros,
            LastSwitchMicros = Arch.Alternatives.LastSwitchMicros,
            Sse2Fence = Arch.Alternatives.FeatureChosen(AltFeature.Sse2),
            X2ApicEoi = Arch.Alternatives.FeatureChosen(AltFeature.X2Apic),
            X2ApicMode = LocalApic.X2ApicMode,
            UnfencedApicMsrWrites = Arch.Alternatives.FeatureChosen(AltFeature.ApicMsrWritesOrdered),
        };

        public static MadtSummary Madt()
        {
            MadtInfo madt = AcpiFirmware.Madt;
            return new MadtSummary
            {
                Valid = madt.Status == AcpiTableStatus.Valid,
                Error = madt.Error,
                Revision = madt.Header.Revision,
                OemIdRaw = madt.Header.OemIdRaw,
                LocalApicAddress = madt.LocalApicAddress,
                LocalApicAddressOverridden = madt.LocalApicAddressOverridden,
                PcAtCompat = madt.PcAtCompat,
                Cpus = madt.Cpus.Length,
                IoApics = madt.IoApics.Length,
                Overrides = madt.Overrides.Length,
                NmiSources = madt.NmiSources.Length,
                LocalNmis = madt.LocalNmis.Length,
                Warnings = madt.Warnings.Length,
            };
        }

        /// <summary>
        /// Entry <paramref name="index"/> of one kind: a CPU fills Id (APIC ID), Uid, IsX2Apic, Enabled, OnlineCapable,
        /// IsBootCpu; an I/O APIC Id, Address, Gsi (its base); an override Line (the ISA IRQ), Gsi, Polarity, Trigger; an
        /// NMI source Gsi, Polarity, Trigger; a local NMI Line (the LINT pin), AllProcessors or Uid, Polarity, Trigger.
        /// </summary>
        public static MadtEntry MadtEntryAt(MadtEntryKind kind, int index)
        {
            MadtInfo madt = AcpiFirmware.Madt;
            switch (kind)
            {
                case MadtEntryKind.Cpu:
                    MadtCpu cpu = madt.Cpus[index];
                    return new MadtEntry { Id = cpu.ApicId, Uid = cpu.Uid, IsX2Apic = cpu.IsX2Apic, Enabled = cpu.Enabled, OnlineCapable = cpu.OnlineCapable, IsBootCpu = cpu.IsBootCpu };
                case MadtEntryKind.IoApic:
                    MadtIoApic ioApic = madt.IoApics[index];
                    return new MadtEntry { Id = ioApic.Id, Address = ioApic.Address, Gsi = ioApic.GsiBase };
                case MadtEntryKind.Override:
                    MadtOverride entry = madt.Overrides[index];
                    return new MadtEntry { Line = entry.SourceIrq, Gsi = entry.Gsi, Polarity = entry.Polarity, Trigger = entry.Trigger };
                case MadtEntryKind.NmiSource:
                    MadtNmiSource source = madt.NmiSources[index];
                    return new MadtEntry { Gsi = source.Gsi, Polarity = source.Polarity, Trigger = source.Trigger };
                default:
                    MadtLocalNmi nmi = madt.LocalNmis[index];
                    return new MadtEntry { Line = nmi.Lint, AllProcessors = nmi.AllProcessors, Uid = nmi.Uid, Polarity = nmi.Polarity, Trigger = nmi.Trigger };
            }
        }

        public static string MadtWarning(int index) => AcpiFirmware.Madt.Warnings[index];

        /// <summary>Sequence numbers of the log lines the ring still holds: [LogOldest, LogWritten).</summary>
        public static ulong LogWritten => LogRing.Written;
        public static ulong LogOldest => LogRing.Oldest;

        /// <summary>Copies log line <paramref name="sequence"/>; false once the ring has overwritten it.</summary>
        public static bool LogLine(ulong sequence, ref TextBuffer into) => LogRing.TryCopy(sequence, ref into);
    }
}

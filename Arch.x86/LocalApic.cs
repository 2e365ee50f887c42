using System.Runtime.CompilerServices;
using Kernel.Arch.Acpi;
using Kernel.Lib;

namespace Kernel.Arch
{
    /// <summary>Local APIC registers by their xAPIC MMIO offsets (SDM Vol. 3A §11.4.1, Table 11-1 "Local APIC Register Address Map").
    /// In x2APIC mode the same register is MSR 0x800 + offset / 16 (§11.12.1.2, Table 11-6).</summary>
    public enum LapicRegister : uint
    {
        Id = 0x020,
        Version = 0x030,
        TaskPriority = 0x080,
        Eoi = 0x0B0,
        SpuriousVector = 0x0F0,
        InService0 = 0x100,          // ISR bits 0–31; bits 32n–32n+31 at 0x100 + 0x10 * n
        InterruptRequest0 = 0x200,   // IRR bits 0–31; bits 32n–32n+31 at 0x200 + 0x10 * n
        ErrorStatus = 0x280,
        IcrLow = 0x300,
        IcrHigh = 0x310,
        LvtTimer = 0x320,
        LvtLint0 = 0x350,
        LvtLint1 = 0x360,
        LvtError = 0x370,
        TimerInitialCount = 0x380,
        TimerCurrentCount = 0x390,
        TimerDivide = 0x3E0,
    }

    /// <summary>ICR delivery modes (SDM Vol. 3A §11.6.1, Figure 11-12 "Interrupt Command Register").</summary>
    public enum IpiDelivery : uint
    {
        Fixed = 0b000 << 8,
        Nmi = 0b100 << 8,
        Init = 0b101 << 8,
        Startup = 0b110 << 8,
    }

    /// <summary>ICR destination shorthands (same figure).</summary>
    public enum IpiShorthand : uint
    {
        None = 0b00 << 18,
        Self = 0b01 << 18,
        AllIncludingSelf = 0b10 << 18,
        AllExcludingSelf = 0b11 << 18,
    }

    /// <summary>
    /// The executing CPU's local APIC, in xAPIC mode (MMIO at the MADT's address) or x2APIC mode
    /// (MSRs), as <see cref="Acpi.ApicMode"/> decides; every CPU uses the same mode.
    /// </summary>
    public static unsafe class LocalApic
    {
        private const ulong ApicBaseEnable = 1UL << 11;   // IA32_APIC_BASE (SDM Vol. 3A §11.4.4, Figure 11-5)
        private const ulong ApicBaseX2Apic = 1UL << 10;
        private const ulong ApicBaseAddressMask = 0x000F_FFFF_FFFF_F000;
        private const uint SoftwareEnable = 1u << 8;      // spurious-interrupt vector register
        private const uint LvtMasked = 1u << 16;
        private const uint LvtTimerPeriodic = 1u << 17;
        private const uint LvtDeliveryNmi = 0b100 << 8;
        private const uint LvtLevelTriggered = 1u << 15;
        private const uint LvtActiveLow = 1u << 13;
        private const uint IcrDeliveryPending = 1u << 12;
        private const uint IcrLevelAssert = 1u << 14;
        private const uint IcrTriggerLevel = 1u << 15;
        private const uint TimerDivideBy16 = 0b0011;        // §11.5.4, Figure 11-10
        public const uint TimerDivisor = 16;                 // what TimerDivideBy16 selects
        private const uint X2ApicMsrBase = 0x800;
        private const uint CpuidX2Apic = 1u << 21;          // CPUID.01H:ECX[21]
        private const int DeliverySpinLimit = 1_000_000;

        private static ulong s_mmio;
        private static bool s_x2Apic;

        public static bool X2ApicMode => s_x2Apic;
        public static ulong Base => s_mmio;

        /// <summary>
        /// Chooses the mode for all CPUs (<see cref="Acpi.ApicMode.Choose"/>) and enables the boot CPU's APIC.
        /// <paramref name="mmioBase"/> comes from the MADT; <paramref name="xApicRequested"/> is the `nox2apic` option.
        /// </summary>
        public static void InitializeBootCpu(ulong mmioBase, Acpi.MadtCpu[] cpus, uint bootApicId, bool xApicRequested)
        {
            ulong msr = Msrs.Read(Msr.Ia32ApicBase);
            var inputs = new Acpi.ApicModeInputs
            {
                CpuSupportsX2Apic = (Cpuid.Query(1).Ecx & CpuidX2Apic) != 0,
                FirmwareEnabledX2Apic = (msr & ApicBaseX2Apic) != 0,
                X2ApicLocked = X2ApicLocked(),
                XApicRequested = xApicRequested,
            };
            Acpi.ApicModeChoice choice = Acpi.ApicMode.Choose(cpus, bootApicId, inputs);
            s_x2Apic = choice.X2Apic;
            s_mmio = mmioBase != 0 ? mmioBase : msr & ApicBaseAddressMask;
            CpuNative.LapicSetEoiRegister(s_x2Apic ? 0 : s_mmio + (uint)LapicRegister.Eoi);
            if (choice.Warning != null) Log.Warn("apic", choice.Warning);
            EnableThisCpu();
            uint version = Read(LapicRegister.Version) & 0xFF;
            if (s_x2Apic) Log.Info("apic", $"local APIC in x2APIC mode (MSRs): {choice.Reason}; version 0x{version:x2}, boot CPU APIC ID {Id}");
            else Log.Info("apic", $"local APIC in xAPIC mode at 0x{s_mmio:x}: {choice.Reason}; version 0x{version:x2}, boot CPU APIC ID {Id}");
        }

        // IA32_XAPIC_DISABLE_STATUS.LEGACY_XAPIC_DISABLED: the firmware locked x2APIC mode. The MSR exists only where
        // IA32_ARCH_CAPABILITIES (CPUID.07H:EDX[29]) enumerates it in bit 21 (SDM Vol. 4 Table 2-2; Vol. 3A §11.12.5).
        private static bool X2ApicLocked()
        {
            if (Cpuid.Query(0).Eax < 7 || (Cpuid.Query(7).Edx & (1u << 29)) == 0) return false;
            if ((Msrs.Read(Msr.Ia32ArchCapabilities) & (1UL << 21)) == 0) return false;
            return (Msrs.Read(Msr.Ia32XApicDisableStatus) & 1) != 0;
        }

        /// <summary>
        /// Enables the executing CPU's APIC in the chosen mode: software-enabled, all priorities accepted, LVTs masked.
        /// A CPU the firmware left in x2APIC mode goes back to xAPIC through the disabled state (SDM Vol. 3A §11.12.5:
        /// x2APIC → xAPIC directly is an invalid transition and raises #GP).
        /// </summary>
        public static void EnableThisCpu()
        {
            ulong msr = Msrs.Read(Msr.Ia32ApicBase);
            if (!s_x2Apic && (msr & ApicBaseX2Apic) != 0)
            {
                msr &= ~(ApicBaseEnable | ApicBaseX2Apic);
                Msrs.Write(Msr.Ia32ApicBase, msr);
            }
            msr |= ApicBaseEnable;
            if (s_x2Apic) msr |= ApicBaseX2Apic;
            Msrs.Write(Msr.Ia32ApicBase, msr);
            Write(LapicRegister.TaskPriority, 0);
            Write(LapicRegister.LvtTimer, LvtMasked | InterruptVectors.Timer);
            Write(LapicRegister.LvtLint0, LvtMasked);
            Write(LapicRegister.LvtLint1, LvtMasked);
            Write(LapicRegister.LvtError, InterruptVectors.ApicError);
            Write(LapicRegister.ErrorStatus, 0);                // back-to-back writes clear it (§11.5.3)
            Write(LapicRegister.ErrorStatus, 0);
            Write(LapicRegister.SpuriousVector, SoftwareEnable | InterruptVectors.Spurious);
        }

        /// <summary>Programs the LINT pins the MADT's Local APIC NMI entries name for this CPU as NMI inputs (ACPI 6.5 §5.2.12.7).</summary>
        public static void ConfigureNmiPins(Acpi.MadtLocalNmi[] nmis, uint processorUid)
        {
            for (int i = 0; i < nmis.Length; i++)
            {
                if (!nmis[i].AllProcessors && nmis[i].Uid != processorUid || nmis[i].Lint > 1) continue;
                uint value = LvtDeliveryNmi
                             | (nmis[i].Polarity == Acpi.InterruptPolarity.ActiveLow ? LvtActiveLow : 0)
                             | (nmis[i].Trigger == Acpi.InterruptTrigger.Level ? LvtLevelTriggered : 0);
                Write(nmis[i].Lint == 0 ? LapicRegister.LvtLint0 : LapicRegister.LvtLint1, value);
            }
        }

        /// <summary>The executing CPU's APIC ID (8 bits in xAPIC mode, 32 in x2APIC mode).</summary>
        public static uint Id => s_x2Apic ? Read(LapicRegister.Id) : Read(LapicRegister.Id) >> 24;

        /// <summary>Through Bridge/Locks.asm lapic_eoi: its MMIO or MSR variant is chosen by the alternatives at boot.</summary>
        public static void EndOfInterrupt() => CpuNative.LapicEoi();

        /// <summary>Starts the periodic timer: <paramref name="initialCount"/> timer ticks (bus clock / 16) per interrupt.</summary>
        public static void StartPeriodicTimer(uint initialCount)
        {
            // Stop the count first: a mode change to periodic while a tiny one-shot count (1, for a deadline already
            // past) is still loaded would run a timer firing every few nanoseconds until the new count lands, which
            // livelocks QEMU 7.2's timer loop.
            Write(LapicRegister.TimerInitialCount, 0);
            Write(LapicRegister.TimerDivide, TimerDivideBy16);
            Write(LapicRegister.LvtTimer, LvtTimerPeriodic | InterruptVectors.Timer);
            Write(LapicRegister.TimerInitialCount, initialCount);
        }

        /// <summary>One interrupt after <paramref name="initialCount"/> timer ticks, then silence (one-shot mode, SDM Vol. 3A §11.5.4).</summary>
        public static void StartOneShotTimer(uint initialCount)
        {
            Write(LapicRegister.TimerInitialCount, 0);
            Write(LapicRegister.TimerDivide, TimerDivideBy16);
            Write(LapicRegister.LvtTimer, InterruptVectors.Timer);
            Write(LapicRegister.TimerInitialCount, initialCount);
        }

        /// <summary>Lets the timer count down from the maximum with its interrupt masked (for calibration).</summary>
        public static void StartFreeRunningTimer()
        {
            Write(LapicRegister.TimerDivide, TimerDivideBy16);
            Write(LapicRegister.LvtTimer, LvtMasked | InterruptVectors.Timer);
            Write(LapicRegister.TimerInitialCount, uint.MaxValue);
        }

        public static void StopTimer()
        {
            Write(LapicRegister.LvtTimer, LvtMasked | InterruptVectors.Timer);
            Write(LapicRegister.TimerInitialCount, 0);
        }

        public static uint TimerCurrentCount => Read(LapicRegister.TimerCurrentCount);

        /// <summary>Sends an IPI and waits (bounded) for the xAPIC to accept it. False if it never did.</summary>
        public static bool SendIpi(uint destinationApicId, IpiDelivery delivery, byte vector, IpiShorthand shorthand = IpiShorthand.None, bool levelAssert = true)
        {
            uint low = (uint)delivery | (uint)shorthand | vector | (levelAssert ? IcrLevelAssert : 0);
            if (delivery == IpiDelivery.Init && !levelAssert) low |= IcrTriggerLevel;
            if (s_x2Apic)
            {
                // x2APIC: one 64-bit write, destination in the high half; no delivery-status bit (§11.12.9). The
                // routine orders the write after every earlier store (Bridge/Locks.asm lapic_write_x2apic_icr).
                CpuNative.LapicWriteX2ApicIcr(((ulong)destinationApicId << 32) | low);
                return true;
            }
            // Two writes: an interrupt between them whose handler sends an IPI of its own would redirect ours. A previous
            // IPI still pending (one whose send timed out) must leave first: writing the ICR meanwhile may replace it
            // (Linux's __xapic_wait_icr_idle).
            InterruptState state = InterruptState.Disable();
            bool accepted = WaitForIcrIdle();
            if (accepted)
            {
                Write(LapicRegister.IcrHigh, destinationApicId << 24);
                Write(LapicRegister.IcrLow, low);
                accepted = WaitForIcrIdle();
            }
            state.Restore();
            return accepted;
        }

        // xAPIC: the ICR's delivery-status bit clears once the local APIC has sent the IPI (SDM Vol. 3A §11.6.1). A call
        // of its own, so Tests/Unit/CallOrderTests can see it comes before the first ICR write.
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static bool WaitForIcrIdle()
        {
            for (int spin = 0; spin < DeliverySpinLimit; spin++)
            {
                if ((Read(LapicRegister.IcrLow) & IcrDeliveryPending) == 0) return true;
                CpuNative.Pause();
            }
            return false;
        }

        /// <summary>Whether this CPU's local APIC holds an accepted, not yet delivered interrupt on the vector (its IRR bit, §11.8.4).</summary>
        public static bool IsRequested(byte vector) => VectorBit(LapicRegister.InterruptRequest0, vector);

        /// <summary>Whether this CPU's local APIC counts the vector as being serviced (its ISR bit, §11.8.4): set from delivery until EOI.</summary>
        public static bool IsInService(byte vector) => VectorBit(LapicRegister.InService0, vector);

        private static bool VectorBit(LapicRegister first, byte vector) =>
            (Read((LapicRegister)((uint)first + 0x10u * (uint)(vector / 32))) & (1u << (vector % 32))) != 0;

        public static uint Read(LapicRegister register) => s_x2Apic
            ? (uint)Msrs.Read((Msr)(X2ApicMsrBase + ((uint)register >> 4)))
            : Mmio.Read32(s_mmio + (uint)register);

        public static void Write(LapicRegister register, uint value)
        {
            if (s_x2Apic) Msrs.Write((Msr)(X2ApicMsrBase + ((uint)register >> 4)), value);
            else Mmio.Write32(s_mmio + (uint)register, value);
        }
    }
}

using Kernel.Arch.Acpi;
using Kernel.Lib;

namespace Kernel.Arch
{
    /// <summary>
    /// Turning the machine off or restarting it, method after method: each is logged before it is tried, and given
    /// time to act before the next one. The kernel stops the other CPUs first (Kernel/Smp/Shutdown.cs).
    /// </summary>
    public static unsafe class Power
    {
        private const ulong SettleMicros = 1_000_000;          // a method that works acts within microseconds
        private const ulong AcpiEnableTimeoutMicros = 3_000_000;   // ACPICA's acpi_hw_set_mode polls SCI_EN for 3 s

        // 8042 keyboard controller (OSDev "Reboot"; IBM PC/AT Technical Reference): status port bit 1 = input buffer
        // full; command 0xFE pulses output port bit 0, the CPU reset line.
        private const ushort Kbc8042Command = 0x64;
        private const byte Kbc8042InputFull = 1 << 1, Kbc8042PulseReset = 0xFE;
        private const ulong Kbc8042TimeoutMicros = 100_000;

        // Reset Control Register, I/O 0xCF9 (Intel 7 Series / C216 PCH datasheet §13.7.5 RST_CNT; also PIIX3/4 and
        // ICH9 as QEMU models them): bit 1 SYS_RST selects a hard reset, a 0→1 edge of bit 2 RST_CPU starts it.
        private const ushort ResetControl = 0xCF9;
        private const byte ResetControlSystem = 0x02, ResetControlStart = 0x06;


        /// <summary>ACPI S5 (soft off); if the machine keeps running, QEMU's isa-debug-exit; else a log line and a halt.</summary>
        public static void PowerOff()
        {
            FadtInfo fadt = AcpiFirmware.Fadt;
            SleepStateInfo s5 = AcpiFirmware.S5;
            if (fadt == null) Log.Warn("power", "power off: no FADT, so no ACPI S5");
            else if (s5.Status != SleepStateStatus.Found) Log.Warn("power", $"power off: no ACPI S5 values: {s5.Error}");
            else if (!IsPort(fadt.Pm1aControlPort)) Log.Warn("power", "power off: the FADT has no usable PM1a control block");
            else EnterS5(fadt, s5);

            // Only under a hypervisor: on hardware port 0xF4 may belong to anything.
            if (Cpuid.UnderHypervisor)
            {
                Log.Warn("power", $"power off: trying QEMU's isa-debug-exit (port 0xf4; QEMU exits with status {((uint)GuestExitCode.PowerOffFallback << 1) | 1})");
                EmulatorExit.Request(GuestExitCode.PowerOffFallback);
                Tsc.SpinMicroseconds(SettleMicros);
            }
            Log.Error("power", "power off failed: halting");
            CpuNative.HaltForever();
        }

        /// <summary>ACPI reset register, then the 8042 reset pulse, then the 0xCF9 reset control, then a triple fault.</summary>
        public static void Reboot()
        {
            FadtInfo fadt = AcpiFirmware.Fadt;
            if (fadt != null && fadt.ResetRegisterSupported && fadt.HasResetRegister) TryResetRegister(fadt);
            else Log.Info("power", "reboot: no ACPI reset register (no FADT, RESET_REG_SUP clear, or an ACPI 1.0 FADT)");
            Try8042();
            TryResetControl();
            TripleFault();
        }

        // §16.1.7 / §7.4.2: write SLP_TYPx to PM1a_CNT and PM1b_CNT, then the same with SLP_EN (bit 13) set, as
        // ACPICA's acpi_hw_legacy_sleep does, keeping the register's other bits.
        private static void EnterS5(FadtInfo fadt, SleepStateInfo s5)
        {
            EnableAcpiMode(fadt);
            ushort a = (ushort)fadt.Pm1aControlPort;
            bool hasB = IsPort(fadt.Pm1bControlPort);
            ushort b = hasB ? (ushort)fadt.Pm1bControlPort : (ushort)0;
            Log.Info("power", $"power off: ACPI S5, SLP_TYPa={s5.SlpTypA} to PM1a_CNT 0x{a:x} with SLP_EN");
            if (hasB) Log.Info("power", $"power off: and SLP_TYPb={s5.SlpTypB} to PM1b_CNT 0x{b:x}");
            ushort valueA = SleepState.Pm1ControlFor(CpuNative.InW(a), s5.SlpTypA);
            ushort valueB = hasB ? SleepState.Pm1ControlFor(CpuNative.InW(b), s5.SlpTypB) : (ushort)0;
            CpuNative.OutW(a, valueA);
            if (hasB) CpuNative.OutW(b, valueB);
            CpuNative.OutW(a, (ushort)(valueA | SleepState.SleepEnable));
            if (hasB) CpuNative.OutW(b, (ushort)(valueB | SleepState.SleepEnable));
            Tsc.SpinMicroseconds(SettleMicros);
            Log.Warn("power", "power off: the machine is still running after ACPI S5");
        }

        // §4.8.2.1 / §5.2.9 SMI_CMD: with SCI_EN clear the platform is in legacy mode; writing ACPI_ENABLE to
        // SMI_CMD asks the firmware to switch, which it reports by setting SCI_EN.
        private static void EnableAcpiMode(FadtInfo fadt)
        {
            ushort control = (ushort)fadt.Pm1aControlPort;
            if ((CpuNative.InW(control) & SleepState.SciEnable) != 0) return;
            if (!IsPort(fadt.SmiCommandPort) || fadt.AcpiEnable == 0)
            {
                Log.Warn("power", "power off: SCI_EN is clear and the FADT gives no SMI_CMD / ACPI_ENABLE: trying S5 in legacy mode");
                return;
            }
            Log.Info("power", $"power off: enabling ACPI mode (0x{fadt.AcpiEnable:x2} to SMI_CMD 0x{fadt.SmiCommandPort:x})");
            CpuNative.OutB((ushort)fadt.SmiCommandPort, fadt.AcpiEnable);
            ulong deadline = Tsc.DeadlineAfter(AcpiEnableTimeoutMicros);
            while ((CpuNative.InW(control) & SleepState.SciEnable) == 0)
            {
                if (Tsc.Read() > deadline)
                {
                    Log.Warn("power", "power off: SCI_EN still clear after 3 s: trying S5 anyway");
                    return;
                }
                CpuNative.Pause();
            }
        }

        // §4.8.3.6: writing RESET_VALUE to RESET_REG resets the machine.
        private static void TryResetRegister(FadtInfo fadt)
        {
            GenericAddress register = fadt.ResetRegister;
            byte value = fadt.ResetValue;
            if (register.SpaceId == GenericAddress.SystemIo && IsPort(register.Address))
            {
                Log.Info("power", $"reboot: ACPI reset register (I/O port 0x{register.Address:x} <- 0x{value:x2})");
                CpuNative.OutB((ushort)register.Address, value);
            }
            else if (register.SpaceId == GenericAddress.PciConfiguration)
            {
                // Table 5.1: segment 0, bus 0; device in bits 47:32, function in 31:16, register offset in 15:0.
                uint device = (uint)(register.Address >> 32) & 0x1F, function = (uint)(register.Address >> 16) & 0x7;
                uint offset = (uint)register.Address & 0xFF;
                Log.Info("power", $"reboot: ACPI reset register (PCI 00:{device:x2}.{function} offset 0x{offset:x2} <- 0x{value:x2})");
                PciConfig.Write8(device, function, offset, value);
            }
            else
            {
                Log.Warn("power", $"reboot: the ACPI reset register is in address space {register.SpaceId} at 0x{register.Address:x}, which the kernel does not reach: skipped");
                return;
            }
            Tsc.SpinMicroseconds(SettleMicros);
            Log.Warn("power", "reboot: the ACPI reset register did not reset the machine");
        }

        private static void Try8042()
        {
            Log.Info("power", "reboot: 8042 keyboard controller reset pulse (0xfe to port 0x64)");
            ulong deadline = Tsc.DeadlineAfter(Kbc8042TimeoutMicros);
            while ((CpuNative.InB(Kbc8042Command) & Kbc8042InputFull) != 0)
            {
                if (Tsc.Read() > deadline)
                {
                    Log.Warn("power", "reboot: the 8042's input buffer stayed full for 100 ms (no controller?): skipped");
                    return;
                }
                CpuNative.Pause();
            }
            CpuNative.OutB(Kbc8042Command, Kbc8042PulseReset);
            Tsc.SpinMicroseconds(SettleMicros);
            Log.Warn("power", "reboot: the 8042 did not reset the machine");
        }

        private static void TryResetControl()
        {
            Log.Info("power", "reboot: reset control register (0x02, then 0x06 to port 0xcf9)");
            CpuNative.OutB(ResetControl, ResetControlSystem);
            Tsc.SpinMicroseconds(50);   // Linux's BOOT_CF9 waits 50 us between the two writes
            CpuNative.OutB(ResetControl, ResetControlStart);
            Tsc.SpinMicroseconds(SettleMicros);
            Log.Warn("power", "reboot: the reset control register did not reset the machine");
        }

        // An IDT with limit 0 makes the breakpoint a #GP, the #GP a #DF and the #DF a shutdown, which the chipset
        // turns into a reset (SDM Vol. 3A §6.15 "Interrupt 8—Double Fault Exception": triple fault → shutdown).
        private static void TripleFault()
        {
            Log.Info("power", "reboot: triple fault (empty IDT, then int3)");
            DescriptorTablePointer empty;
            empty.Limit = 0;
            empty.Base = 0;
            CpuNative.LoadIdt(&empty);
            CpuNative.ProbeBreakpoint();
            Log.Error("power", "reboot failed: halting");
            CpuNative.HaltForever();
        }

        private static bool IsPort(ulong address) => address != 0 && address <= ushort.MaxValue;
    }
}

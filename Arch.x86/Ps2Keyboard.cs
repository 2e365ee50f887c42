using Kernel.Arch.Acpi;
using Kernel.Lib;

namespace Kernel.Arch
{
    /// <summary>
    /// The keyboard on the 8042 PS/2 controller's first port (IBM PS/2 Hardware Interface Technical Reference,
    /// "Keyboard/Auxiliary Device Controller"; OSDev "8042 PS/2 Controller", "PS/2 Keyboard"). Machines without one
    /// say so in the FADT (ACPI 6.5 §5.2.9.3, IAPC_BOOT_ARCH bit 1, defined from FADT revision 3 on, as Linux reads it);
    /// the controller is probed anyway, every wait bounded. ISA IRQ 1 goes through the I/O APIC; its handler turns
    /// scan codes (set 1, translated by the controller) into terminal bytes for the kernel's console input (KernelEntry.ConsoleInput).
    /// </summary>
    public static unsafe class Ps2Keyboard
    {
        private const ushort DataPort = 0x60, StatusPort = 0x64, CommandPort = 0x64;
        private const byte StatusOutputFull = 1 << 0, StatusInputFull = 1 << 1, StatusAuxData = 1 << 5;
        private const byte CommandReadConfig = 0x20, CommandWriteConfig = 0x60, CommandDisableAux = 0xA7,
                           CommandSelfTest = 0xAA, CommandDisableKeyboard = 0xAD, CommandEnableKeyboard = 0xAE;
        private const byte SelfTestPassed = 0x55;
        private const byte ConfigKeyboardInterrupt = 1 << 0, ConfigAuxInterrupt = 1 << 1, ConfigKeyboardClockOff = 1 << 4,
                           ConfigTranslate = 1 << 6;
        private const byte KeyboardEnableScanning = 0xF4, KeyboardAck = 0xFA;
        private const byte IsaIrq = 1;
        private const byte FadtRevisionWithBootArch = 3;              // ACPI 2.0's FADT
        private const ulong ControllerTimeoutMicros = 20_000;         // the 8042 answers in microseconds; slow emulations in a few ms
        private const ulong DeviceTimeoutMicros = 200_000;            // a keyboard's ACK
        private const int MaxStaleBytes = 32, MaxBytesPerInterrupt = 16, RecentCapacity = 16;

        private static ScancodeSet1 s_scancodes;
        private static readonly byte[] s_recent = new byte[RecentCapacity];

        public static bool Present { get; private set; }

        /// <summary>Every byte the keyboard produced since boot; the last <see cref="RecentCapacity"/> are kept for the self-tests.</summary>
        public static ulong BytesProduced { get; private set; }

        /// <param name="destination">the APIC ID IRQ 1 is routed to (the boot CPU's)</param>
        public static void Initialize(FadtInfo fadt, uint destination)
        {
            if (fadt != null && fadt.Header.Revision >= FadtRevisionWithBootArch && !fadt.Has8042)
            {
                Log.Info("keyboard", $"FADT revision {fadt.Header.Revision} says there is no 8042: no PS/2 keyboard");
                return;
            }
            if (CpuNative.InB(StatusPort) == 0xFF)   // nothing decodes the port: the bus floats high
            {
                Log.Info("keyboard", "no 8042 controller answers at port 0x64: no PS/2 keyboard");
                return;
            }
            string failure = ConfigureController();
            if (failure != null)
            {
                Log.Warn("keyboard", $"8042 controller {failure}: no PS/2 keyboard");
                return;
            }
            s_scancodes = new ScancodeSet1();
            Interrupts.Register(InterruptVectors.Keyboard, &OnInterrupt, takesBigKernelLock: true);
            if (!IoApic.RouteIsaIrq(IsaIrq, InterruptVectors.Keyboard, destination, masked: false, out string whyNot))
            {
                Log.Warn("keyboard", $"IRQ 1: {whyNot}: no PS/2 keyboard");
                return;
            }
            Present = true;
            bool answered = SendToKeyboard(KeyboardEnableScanning);
            Log.Info("keyboard", answered ? "PS/2 keyboard on IRQ 1 (scan code set 1, translated)"
                                          : "8042 ready on IRQ 1, but no keyboard acknowledged: typing will work once one does");
        }

        /// <summary>Copies the last <paramref name="count"/> bytes the keyboard produced (oldest first) into <paramref name="into"/>.</summary>
        public static int CopyRecent(byte* into, int count)
        {
            if (count > RecentCapacity) count = RecentCapacity;
            if ((ulong)count > BytesProduced) count = (int)BytesProduced;
            for (int i = 0; i < count; i++) into[i] = s_recent[(int)((BytesProduced - (ulong)count + (ulong)i) % RecentCapacity)];
            return count;
        }

        // Both ports off, stale bytes out, self-test, then keyboard port on with its interrupt and translation to set 1.
        private static string ConfigureController()
        {
            if (!WriteCommand(CommandDisableKeyboard) || !WriteCommand(CommandDisableAux)) return "does not take commands";
            for (int i = 0; i < MaxStaleBytes && (CpuNative.InB(StatusPort) & StatusOutputFull) != 0; i++) CpuNative.InB(DataPort);
            if (!WriteCommand(CommandReadConfig) || !ReadData(ControllerTimeoutMicros, out byte config)) return "no configuration byte";
            if (!WriteCommand(CommandSelfTest) || !ReadData(ControllerTimeoutMicros * 5, out byte result)) return "no self-test result";
            if (result != SelfTestPassed) return "failed its self-test";
            // The self-test may reset the controller: write the configuration whole.
            config = (byte)((config | ConfigKeyboardInterrupt | ConfigTranslate) & ~(ConfigAuxInterrupt | ConfigKeyboardClockOff));
            if (!WriteCommand(CommandWriteConfig) || !WriteData(config)) return "does not take its configuration";
            if (!WriteCommand(CommandEnableKeyboard)) return "does not enable its keyboard port";
            return null;
        }

        private static void OnInterrupt(TrapFrame* frame)
        {
            byte* typed = stackalloc byte[MaxBytesPerInterrupt * ScancodeSet1.MaxBytes];
            int produced = 0;
            for (int i = 0; i < MaxBytesPerInterrupt; i++)
            {
                byte status = CpuNative.InB(StatusPort);
                if ((status & StatusOutputFull) == 0) break;
                byte scancode = CpuNative.InB(DataPort);
                if ((status & StatusAuxData) != 0) continue;   // a mouse byte: the aux port is off, but be sure
                int count = s_scancodes.Translate(scancode, typed + produced);
                for (int j = produced; j < produced + count; j++)
                {
                    s_recent[(int)(BytesProduced % RecentCapacity)] = typed[j];
                    BytesProduced++;
                }
                produced += count;
            }
            KernelEntry.ConsoleInput(typed, produced);
        }

        private static bool SendToKeyboard(byte value)
        {
            if (!WriteData(value)) return false;
            ulong deadline = Tsc.DeadlineAfter(DeviceTimeoutMicros);
            while (Tsc.Read() < deadline)
                if (ReadData(ControllerTimeoutMicros, out byte reply) && reply == KeyboardAck) return true;
            return false;
        }

        private static bool WriteCommand(byte command) => Write(CommandPort, command);

        private static bool WriteData(byte value) => Write(DataPort, value);

        // The controller takes a byte only once it has consumed the last one (input buffer empty).
        private static bool Write(ushort port, byte value)
        {
            ulong deadline = Tsc.DeadlineAfter(ControllerTimeoutMicros);
            while ((CpuNative.InB(StatusPort) & StatusInputFull) != 0)
                if (Tsc.Read() >= deadline) return false;
            CpuNative.OutB(port, value);
            return true;
        }

        private static bool ReadData(ulong timeoutMicros, out byte value)
        {
            ulong deadline = Tsc.DeadlineAfter(timeoutMicros);
            while ((CpuNative.InB(StatusPort) & StatusOutputFull) == 0)
                if (Tsc.Read() >= deadline) { value = 0; return false; }
            value = CpuNative.InB(DataPort);
            return true;
        }
    }
}

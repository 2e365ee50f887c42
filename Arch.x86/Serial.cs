using Kernel.Lib;

namespace Kernel.Arch
{
    /// <summary>
    /// The COM1 16550 UART, 115200 baud 8N1: output polled, input by interrupt (ISA IRQ 4), handed to the kernel's
    /// console input (KernelEntry.ConsoleInput). Machines without a UART are common now: the
    /// port is probed first (scratch register, then loopback) and, if absent, output is dropped. A byte the
    /// transmitter does not take within a time-out is dropped alone (an emulator or a flow-controlled line may stall
    /// it for a while); only a transmitter that takes none of many bytes in a row is given up for good.
    /// Register map: PC16550D datasheet (TI SNLS378C) Table 2; also OSDev "Serial Ports".
    /// </summary>
    public static unsafe class Serial
    {
        private const ushort Com1 = 0x3F8;
        private const ushort Data = 0, InterruptEnable = 1, FifoControl = 2, LineControl = 3, ModemControl = 4, LineStatus = 5, Scratch = 7;
        private const ushort DivisorLow = 0, DivisorHigh = 1;       // while LineControl.DLAB is set
        private const byte LineControlDlab = 0x80;
        private const byte LineControl8N1 = 0x03;
        private const byte FifoEnableClear14 = 0xC7;               // enable, clear both FIFOs, 14-byte trigger
        private const byte ModemDtrRtsOut2 = 0x0B;
        private const byte ModemLoopback = 0x10;
        private const byte LineStatusTransmitterEmpty = 0x20;      // THRE
        private const byte LineStatusDataReady = 0x01;             // DR
        private const byte InterruptOnReceivedData = 0x01;         // IER bit 0: "received data available"
        private const byte ComIsaIrq = 4;                          // COM1's IRQ on the PC/AT (OSDev "Serial Ports")
        private const int ReceiveDrainLimit = 64;                  // more than any 16550 FIFO (16 bytes) holds
        private const ushort Divisor115200 = 1;                    // 115200 = 1.8432 MHz / 16 / 1
        private const int LoopbackSpinLimit = 200_000;             // the probe's echo is immediate on any working UART
        private const ulong ByteTimeoutMicros = 10_000;            // a byte takes 87 µs at 115200 baud: over 100 byte times
        private const ulong UncalibratedByteTimeoutTicks = 100_000_000;   // before the TSC's rate is known: 10 ms at up to 10 GHz
        private const int DroppedInARowBeforeGivingUp = 16;        // 160 ms of a transmitter that takes nothing
        // Where a COM1 that stopped draining is reported, since COM1 cannot say it: Bochs' port_e9_hack and QEMU's
        // -debugcon print what is written to port 0xE9; elsewhere the write goes nowhere.
        private const ushort DebugConsolePort = 0xE9;
        private const string TransmitterStopped = "\nkernel: COM1's transmitter took none of 16 bytes in a row, 10 ms each: serial output off\n";

        public static bool Present { get; private set; }

        private static int s_droppedInARow;

        public static void Initialize()
        {
            CpuNative.OutB(Com1 + Scratch, 0x5A);
            if (CpuNative.InB(Com1 + Scratch) != 0x5A) return;

            CpuNative.OutB(Com1 + InterruptEnable, 0);
            CpuNative.OutB(Com1 + LineControl, LineControlDlab);
            CpuNative.OutB(Com1 + DivisorLow, (byte)Divisor115200);
            CpuNative.OutB(Com1 + DivisorHigh, Divisor115200 >> 8);
            CpuNative.OutB(Com1 + LineControl, LineControl8N1);
            CpuNative.OutB(Com1 + FifoControl, FifoEnableClear14);

            // Loopback: a byte sent must come back, or this is not a working UART.
            CpuNative.OutB(Com1 + ModemControl, ModemLoopback | ModemDtrRtsOut2);
            CpuNative.OutB(Com1 + Data, 0xAE);
            bool echoed = false;
            for (int i = 0; i < LoopbackSpinLimit && !echoed; i++)
                echoed = (CpuNative.InB(Com1 + LineStatus) & 1) != 0 && CpuNative.InB(Com1 + Data) == 0xAE;
            CpuNative.OutB(Com1 + ModemControl, ModemDtrRtsOut2);
            Present = echoed;
        }

        /// <summary>Routes COM1's receive interrupt to <paramref name="destination"/> (the boot CPU's APIC ID): typed bytes go to the console's input.</summary>
        public static void EnableInput(uint destination)
        {
            if (!Present) return;
            Interrupts.Register(InterruptVectors.SerialCom1, &OnInterrupt, takesBigKernelLock: true);
            if (!IoApic.RouteIsaIrq(ComIsaIrq, InterruptVectors.SerialCom1, destination, masked: false, out string whyNot))
            {
                Log.Warn("serial", $"IRQ 4: {whyNot}: COM1 input disabled");
                return;
            }
            DrainReceived();   // bytes typed before now would hold the interrupt line
            CpuNative.OutB(Com1 + InterruptEnable, InterruptOnReceivedData);
        }

        private static void OnInterrupt(TrapFrame* frame) => DrainReceived();

        private static void DrainReceived()
        {
            byte* received = stackalloc byte[ReceiveDrainLimit];
            int count = 0;
            while (count < ReceiveDrainLimit && (CpuNative.InB(Com1 + LineStatus) & LineStatusDataReady) != 0)
                received[count++] = CpuNative.InB(Com1 + Data);
            KernelEntry.ConsoleInput(received, count);
        }

        public static void Write(char c)
        {
            if (!Present) return;
            if (c == '\n') WriteByte((byte)'\r');
            WriteByte(c < 0x80 ? (byte)c : (byte)'?');
        }

        private static void WriteByte(byte value)
        {
            ulong start = Tsc.Read();
            ulong timeout = Tsc.Hz == 0 ? UncalibratedByteTimeoutTicks : Tsc.Hz / 1_000_000 * ByteTimeoutMicros;
            while ((CpuNative.InB(Com1 + LineStatus) & LineStatusTransmitterEmpty) == 0)
            {
                if (Tsc.Read() - start > timeout)
                {
                    DropByte();
                    return;
                }
                CpuNative.Pause();
            }
            s_droppedInARow = 0;
            CpuNative.OutB(Com1 + Data, value);
        }

        // A stalled transmitter costs one byte; one that stays stopped is switched off rather than waited for forever.
        private static void DropByte()
        {
            if (++s_droppedInARow < DroppedInARowBeforeGivingUp) return;
            Present = false;
            for (int i = 0; i < TransmitterStopped.Length; i++) CpuNative.OutB(DebugConsolePort, (byte)TransmitterStopped[i]);
        }
    }
}

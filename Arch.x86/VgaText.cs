namespace Kernel.Arch
{
    /// <summary>
    /// The VGA colour text mode BIOS firmware and GRUB leave the screen in: cells of {character, attribute} at
    /// 0xB8000 and the hardware cursor in the CRT controller (IBM VGA Technical Reference, "CRT Controller
    /// Registers"; OSDev "Text Mode Cursor"). The colour CRTC's index/data ports are 0x3D4/0x3D5 (the mono ones,
    /// 0x3B4/0x3B5, go with a buffer at 0xB0000).
    /// </summary>
    public static unsafe class VgaText
    {
        public const ulong Buffer = 0xB8000;
        private const ushort CrtcIndex = 0x3D4, CrtcData = 0x3D5;
        private const byte CursorStart = 0x0A, CursorEnd = 0x0B, CursorLocationHigh = 0x0E, CursorLocationLow = 0x0F;
        private const byte CursorDisable = 1 << 5;                // Cursor Start register bit 5
        private const byte CursorFirstScanLine = 14, CursorLastScanLine = 15;   // an underline in a 16-line cell
        private const ushort LightGreyOnBlack = 0x07 << 8;        // attribute byte: background 0 black, foreground 7 light grey

        public static void WriteCell(ushort* buffer, int index, char c) =>
            buffer[index] = (ushort)(LightGreyOnBlack | (byte)c);

        /// <summary>Turns the hardware cursor on as an underline (firmware may have left it off).</summary>
        public static void EnableCursor()
        {
            CpuNative.OutB(CrtcIndex, CursorStart);
            CpuNative.OutB(CrtcData, (byte)((CpuNative.InB(CrtcData) & 0xC0 & ~CursorDisable) | CursorFirstScanLine));
            CpuNative.OutB(CrtcIndex, CursorEnd);
            CpuNative.OutB(CrtcData, (byte)((CpuNative.InB(CrtcData) & 0xE0) | CursorLastScanLine));
        }

        public static void MoveCursor(int index)
        {
            CpuNative.OutB(CrtcIndex, CursorLocationHigh);
            CpuNative.OutB(CrtcData, (byte)(index >> 8));
            CpuNative.OutB(CrtcIndex, CursorLocationLow);
            CpuNative.OutB(CrtcData, (byte)index);
        }
    }
}

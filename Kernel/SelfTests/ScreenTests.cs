using Kernel.Arch;
using Kernel.Diagnostics;
using Kernel.Testing;

namespace Kernel.SelfTests
{
    /// <summary>
    /// The screen console on the machine it booted on: the kind of screen matches the firmware (QEMU: VGA text under
    /// SeaBIOS, the GOP framebuffer under OVMF), console output lands in the grid with escape sequences obeyed, and the
    /// grid reaches the hardware: VGA cells with their attribute, or framebuffer pixels exactly where the font has bits.
    /// </summary>
    [SelfTestSuite("screen")]
    public static unsafe class ScreenTests
    {
        [SelfTest]
        public static void ScreenMatchesTheFirmware()
        {
            BootInfo boot = KernelMain.BootInfo;
            if (boot.HasEfiSystemTable)
            {
                Assert.True(Screen.Kind == ScreenKind.Framebuffer, "UEFI: the GOP framebuffer is the screen");
                Assert.True(boot.Framebuffer.Type == FramebufferType.Rgb, "GRUB passed an RGB framebuffer");
                Assert.Equal(boot.Framebuffer.Width / Font8x16.Width, (ulong)Screen.Grid.Columns, "columns: the width in 8-pixel cells");
                Assert.Equal(boot.Framebuffer.Height / Font8x16.Height, (ulong)Screen.Grid.Rows, "rows: the height in 16-pixel cells");
            }
            else
            {
                Assert.True(Screen.Kind == ScreenKind.VgaText, "BIOS: GRUB left VGA text mode (no framebuffer requested)");
                Assert.Equal(80, (ulong)Screen.Grid.Columns, "columns");
                Assert.Equal(25, (ulong)Screen.Grid.Rows, "rows");
            }
        }

        [SelfTest]
        public static void ConsoleLinesLandInTheGrid()
        {
            RequireScreen();
            Console.WriteLine("screen-test: hello");
            Assert.Equal(0, (ulong)Screen.Grid.CursorColumn, "a line end returns the cursor to column 0");
            Assert.Equal("screen-test: hello", Trimmed(Screen.Grid.CursorRow - 1), "the line above the cursor");
        }

        [SelfTest]
        public static void EscapeSequencesEditTheLineAndAreNotShown()
        {
            RequireScreen();
            // What a line editor sends: text, cursor left 2, overwrite, erase to the end; colour codes are swallowed.
            Write("abcdef\u001b[1m\u001b[2Dz\u001b[K\u001b[0m\bY\n");
            Assert.Equal("abcdY", Trimmed(Screen.Grid.CursorRow - 1), "edited line");
        }

        [SelfTest]
        public static void TheHardwareShowsTheGrid()
        {
            RequireScreen();
            Console.WriteLine("X");
            int row = Screen.Grid.CursorRow - 1;
            if (Screen.Kind == ScreenKind.VgaText)
            {
                ushort vgaCell = ((ushort*)VgaText.Buffer)[row * Screen.Grid.Columns];
                Assert.EqualHex(0x0700 | 'X', vgaCell, "VGA cell: 'X', light grey on black");
                return;
            }
            FramebufferInfo framebuffer = KernelMain.BootInfo.Framebuffer;
            uint bytesPerPixel = framebuffer.BitsPerPixel / 8u;
            byte* cell = (byte*)framebuffer.Address + (ulong)(row * Font8x16.Height) * framebuffer.Pitch;
            for (int y = 0; y < Font8x16.Height; y++)
                for (int x = 0; x < Font8x16.Width; x++)
                {
                    byte* pixel = cell + (ulong)y * framebuffer.Pitch + (ulong)x * bytesPerPixel;
                    bool lit = pixel[0] != 0 || pixel[1] != 0;
                    Assert.True(lit == ((Font8x16.Row('X', y) & (0x80 >> x)) != 0), "a pixel is lit exactly where the glyph has a bit");
                }
        }

        [SelfTest]
        public static void TheCursorFollowsTheGrid()
        {
            RequireScreen();
            Write("ab\u001b[D");
            int column = Screen.Grid.CursorColumn, row = Screen.Grid.CursorRow;
            Write("\n");
            Assert.Equal(1, (ulong)column, "cursor left of 'b'");
            if (Screen.Kind != ScreenKind.Framebuffer) return;
            // The cursor cell is drawn inverted: after the line end 'b' is back to normal, and the cursor's blank cell is lit.
            FramebufferInfo framebuffer = KernelMain.BootInfo.Framebuffer;
            uint bytesPerPixel = framebuffer.BitsPerPixel / 8u;
            byte* cursorCell = (byte*)framebuffer.Address + (ulong)(Screen.Grid.CursorRow * Font8x16.Height) * framebuffer.Pitch;
            Assert.True(cursorCell[0] != 0, "the cursor's cell, column 0, is drawn inverted");
            byte* oldCell = (byte*)framebuffer.Address + (ulong)(row * Font8x16.Height) * framebuffer.Pitch + (ulong)(column * Font8x16.Width) * bytesPerPixel;
            Assert.True(oldCell[0] == 0, "the cell the cursor left is drawn normally again ('b' has no top-left pixel)");
        }

        [SelfTest]
        public static void DeviceMemoryAboveTheIdentityMapIsReachable()
        {
            // The path a framebuffer above 4 GiB takes, tried on a RAM page: its device-region alias reads what the page holds.
            ulong page = Memory.PhysicalMemory.AllocateZeroedPages(1);
            *(ulong*)(page + 24) = 0x5C_12EE_0F_ACE5;
            ulong alias = Paging.MapDeviceMemory(page + 24, 8);
            Assert.True(alias >= Paging.DeviceRegionBase, "mapped in the device region");
            Assert.EqualHex(0x5C_12EE_0F_ACE5, *(ulong*)alias, "the alias reads the page");
        }

        private static void RequireScreen()
        {
            if (Screen.Kind == ScreenKind.None) Assert.Skip("no screen console on this machine");
        }

        private static void Write(string text)
        {
            byte* bytes = stackalloc byte[text.Length];
            for (int i = 0; i < text.Length; i++) bytes[i] = (byte)text[i];
            Console.Write(bytes, text.Length);
        }

        private static string Trimmed(int row)
        {
            string text = Screen.Grid.RowText(row);
            int length = text.Length;
            while (length > 0 && text[length - 1] == ' ') length--;
            return text.Substring(0, length);
        }
    }
}

using Kernel.Arch;
using Kernel.Lib;

namespace Kernel.Diagnostics
{
    public enum ScreenKind { None, VgaText, Framebuffer }

    /// <summary>
    /// The console on the screen, for machines without a serial port. BIOS boots stay in VGA text mode (80×25 at
    /// 0xB8000, as GRUB leaves it when the multiboot2 header requests no framebuffer); UEFI boots draw into the
    /// GOP framebuffer GRUB hands over (multiboot2 tag 8, RGB, 16/24/32 bits per pixel) with an 8×16 font.
    /// Characters go into a shadow <see cref="TextGrid"/>; <see cref="Flush"/>, at the end of each console write,
    /// copies the cells that differ from what is shown, and on a framebuffer only the glyph rows that differ: a
    /// scroll redraws text, never moves pixels, and never reads the framebuffer. Called by Console with its lock held
    /// and interrupts off, which serialises everything here.
    /// </summary>
    public static unsafe class Screen
    {
        private const int MaxColumns = 480, MaxRows = 180;     // a 3840×2880 framebuffer; bigger ones use the top left
        private const ulong BootMapTop = 4UL << 30;             // Boot/Entry.asm identity-maps 0..4 GiB
        private const ushort CursorBit = 0x100;                 // in a shown cell's code: drawn inverted
        private const uint Foreground = 0xAAAAAA;               // VGA's light grey, as 0xRRGGBB
        private const int WordsPerPatternMax = 4;               // 8 pixels × 4 bytes

        private static ScreenKind s_kind;
        private static TextGrid s_grid;
        private static ushort[] s_shown;                        // per cell: what is on the screen (character | CursorBit)
        private static int s_shownCursor;
        private static FramebufferInfo s_framebuffer;
        private static byte* s_pixels;
        private static uint s_bytesPerPixel;
        private static ulong[] s_patterns;                      // 256 patterns × WordsPerPatternMax words
        private static bool s_waitingForMapping;

        public static ScreenKind Kind => s_waitingForMapping ? ScreenKind.None : s_kind;
        public static TextGrid Grid => s_grid;

        /// <summary>The screen the loader described, cleared; until this runs console output goes to the serial port only.</summary>
        public static void Initialize(BootInfo boot)
        {
            if (boot.HasFramebuffer && boot.Framebuffer.Type == FramebufferType.Rgb) InitializeFramebuffer(boot.Framebuffer);
            else if (boot.HasFramebuffer && boot.Framebuffer.Type == FramebufferType.EgaText) InitializeVgaText(boot.Framebuffer);
            else if (!boot.HasEfiSystemTable && !boot.HasFramebuffer) InitializeVgaText(new FramebufferInfo { Address = VgaText.Buffer, Width = 80, Height = 25, Pitch = 160 });
            else Log.Warn("screen", boot.HasFramebuffer ? "the framebuffer is palette-indexed: no screen console" : "no framebuffer from the loader: no screen console");
        }

        /// <summary>After Paging.Initialize: a framebuffer beyond the boot stub's 4 GiB gets its mapping, and the screen starts.</summary>
        public static void MapFramebuffer()
        {
            if (!s_waitingForMapping) return;
            ulong bytes = (ulong)s_framebuffer.Pitch * s_framebuffer.Height;
            ulong address = s_framebuffer.Address + bytes <= Paging.MappedTop ? s_framebuffer.Address : Paging.MapDeviceMemory(s_framebuffer.Address, bytes);
            if (address == 0)
            {
                s_kind = ScreenKind.None;
                Log.Warn("screen", $"no mapping for the framebuffer at 0x{s_framebuffer.Address:x}: no screen console");
                return;
            }
            s_pixels = (byte*)address;
            Start();
            Log.Info("screen", $"framebuffer at 0x{s_framebuffer.Address:x} mapped at 0x{address:x}");
        }

        public static void Put(char c)
        {
            if (s_kind != ScreenKind.None) s_grid.Put(c);
        }

        /// <summary>Brings the screen up to date with the grid (Console calls it once per write).</summary>
        public static void Flush()
        {
            if (s_kind == ScreenKind.None || s_waitingForMapping) return;
            int columns = s_grid.Columns;
            int cursor = s_grid.CursorRow * columns + s_grid.CursorColumn;
            int shownCursorRow = s_shownCursor / columns;
            for (int row = 0; row < s_grid.Rows; row++)
            {
                if (!s_grid.IsDirty(row) && row != s_grid.CursorRow && row != shownCursorRow) continue;
                s_grid.ClearDirty(row);
                for (int column = 0, index = row * columns; column < columns; column++, index++)
                {
                    ushort code = (ushort)(s_grid.At(column, row) | (index == cursor && s_kind == ScreenKind.Framebuffer ? CursorBit : 0));
                    if (code == s_shown[index]) continue;
                    if (s_kind == ScreenKind.VgaText) VgaText.WriteCell((ushort*)s_pixels, index, (char)code);
                    else DrawCell(column, row, s_shown[index], code);
                    s_shown[index] = code;
                }
            }
            if (s_kind == ScreenKind.VgaText && cursor != s_shownCursor) VgaText.MoveCursor(cursor);
            s_shownCursor = cursor;
        }

        private static void InitializeVgaText(FramebufferInfo text)
        {
            if (text.Address == 0 || text.Width == 0 || text.Height == 0 || text.Address + (ulong)text.Width * text.Height * 2 > BootMapTop)
            {
                Log.Warn("screen", $"implausible EGA text mode {text.Width}x{text.Height} at 0x{text.Address:x}: no screen console");
                return;
            }
            s_kind = ScreenKind.VgaText;
            s_pixels = (byte*)text.Address;
            CreateGrid((int)text.Width, (int)text.Height);
            for (int i = 0; i < s_shown.Length; i++) VgaText.WriteCell((ushort*)s_pixels, i, ' ');
            VgaText.EnableCursor();
            s_shownCursor = -1;
            Log.Info("screen", $"VGA text mode {text.Width}x{text.Height} at 0x{text.Address:x}");
        }

        private static void InitializeFramebuffer(FramebufferInfo framebuffer)
        {
            uint bytesPerPixel = framebuffer.BitsPerPixel / 8u;
            bool plausible = (framebuffer.BitsPerPixel == 16 || framebuffer.BitsPerPixel == 24 || framebuffer.BitsPerPixel == 32)
                          && framebuffer.Address != 0 && framebuffer.Width >= Font8x16.Width && framebuffer.Height >= Font8x16.Height
                          && framebuffer.Pitch >= framebuffer.Width * bytesPerPixel
                          && framebuffer.RedSize <= 8 && framebuffer.GreenSize <= 8 && framebuffer.BlueSize <= 8;
            if (!plausible)
            {
                Log.Warn("screen", $"unusable framebuffer {framebuffer.Width}x{framebuffer.Height}x{framebuffer.BitsPerPixel} pitch {framebuffer.Pitch} at 0x{framebuffer.Address:x}: no screen console");
                return;
            }
            s_framebuffer = framebuffer;
            s_bytesPerPixel = bytesPerPixel;
            s_patterns = ExpandPatterns(bytesPerPixel, PixelValue(framebuffer, Foreground));
            s_kind = ScreenKind.Framebuffer;
            int columns = (int)(framebuffer.Width / Font8x16.Width), rows = (int)(framebuffer.Height / Font8x16.Height);
            CreateGrid(columns < MaxColumns ? columns : MaxColumns, rows < MaxRows ? rows : MaxRows);
            s_shownCursor = 0;
            if (framebuffer.Address + (ulong)framebuffer.Pitch * framebuffer.Height > BootMapTop)
            {
                s_waitingForMapping = true;   // MapFramebuffer starts it once paging can reach it
                Log.Info("screen", $"framebuffer {framebuffer.Width}x{framebuffer.Height}x{framebuffer.BitsPerPixel} at 0x{framebuffer.Address:x} lies above 4 GiB: the screen starts once paging maps it");
                return;
            }
            s_pixels = (byte*)framebuffer.Address;
            Start();
            Log.Info("screen", $"framebuffer {framebuffer.Width}x{framebuffer.Height}x{framebuffer.BitsPerPixel} at 0x{framebuffer.Address:x}: {s_grid.Columns}x{s_grid.Rows} characters");
        }

        private static void CreateGrid(int columns, int rows)
        {
            s_grid = new TextGrid(columns, rows);
            s_shown = new ushort[columns * rows];
            for (int i = 0; i < s_shown.Length; i++) s_shown[i] = ' ';
        }

        // Whatever the firmware and GRUB drew goes: the whole framebuffer to black (zero in every RGB layout), matching s_shown's blanks.
        private static void Start()
        {
            s_waitingForMapping = false;
            Lib.Memory.Zero(s_pixels, (nuint)s_framebuffer.Pitch * s_framebuffer.Height);
        }

        // One cell, only the pixel rows whose pattern changed; the cursor is the cell drawn inverted. A row of 8 pixels is
        // 2, 3 or 4 whole 64-bit words (2, 3 or 4 bytes per pixel), copied from the expansion of its pattern.
        private static void DrawCell(int column, int row, ushort was, ushort now)
        {
            byte* line = s_pixels + (ulong)(row * Font8x16.Height) * s_framebuffer.Pitch + (ulong)(column * Font8x16.Width) * s_bytesPerPixel;
            for (int y = 0; y < Font8x16.Height; y++, line += s_framebuffer.Pitch)
            {
                int before = Pattern(was, y), after = Pattern(now, y);
                if (before == after) continue;
                ulong* pixels = (ulong*)line;
                for (int word = 0, from = after * WordsPerPatternMax; word < s_bytesPerPixel; word++) pixels[word] = s_patterns[from + word];
            }
        }

        private static int Pattern(ushort code, int y) =>
            Font8x16.Row((char)(code & 0xFF), y) ^ ((code & CursorBit) != 0 ? 0xFF : 0);

        // For each 8-pixel pattern (bit 7 leftmost), its pixels in the framebuffer's format: foreground or black.
        private static ulong[] ExpandPatterns(uint bytesPerPixel, uint foreground)
        {
            var patterns = new ulong[256 * WordsPerPatternMax];
            for (int pattern = 0; pattern < 256; pattern++)
                for (int x = 0; x < Font8x16.Width; x++)
                {
                    if ((pattern & (0x80 >> x)) == 0) continue;
                    for (int b = 0; b < bytesPerPixel; b++)
                    {
                        int bit = (x * (int)bytesPerPixel + b) * 8;
                        patterns[pattern * WordsPerPatternMax + bit / 64] |= (ulong)((foreground >> (b * 8)) & 0xFF) << (bit % 64);
                    }
                }
            return patterns;
        }

        // 0xRRGGBB into the framebuffer's layout: each channel's top bits at its field position (Multiboot2 §3.6.12).
        private static uint PixelValue(FramebufferInfo framebuffer, uint rgb) =>
            Channel(rgb >> 16, framebuffer.RedPosition, framebuffer.RedSize)
            | Channel(rgb >> 8, framebuffer.GreenPosition, framebuffer.GreenSize)
            | Channel(rgb, framebuffer.BluePosition, framebuffer.BlueSize);

        private static uint Channel(uint value, byte position, byte size) =>
            size == 0 || position >= 32 ? 0 : ((value & 0xFF) >> (8 - size)) << position;
    }
}

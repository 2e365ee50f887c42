using Kernel.Diagnostics;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>The screen console's character grid: printing, wrapping, scrolling and the terminal subset a line editor emits.</summary>
public class TextGridTests
{
    private static TextGrid Grid(int columns, int rows, string text)
    {
        var grid = new TextGrid(columns, rows);
        Write(grid, text);
        return grid;
    }

    private static void Write(TextGrid grid, string text)
    {
        foreach (char c in text) grid.Put(c);
    }

    private static string[] Rows(TextGrid grid) => Enumerable.Range(0, grid.Rows).Select(row => grid.RowText(row).TrimEnd()).ToArray();

    private static (int Column, int Row) Cursor(TextGrid grid) => (grid.CursorColumn, grid.CursorRow);

    [Test]
    public void Text_and_line_ends_fill_rows_from_the_top()
    {
        var grid = Grid(10, 3, "ab\ncd");
        Assert.That(Rows(grid), Is.EqualTo(new[] { "ab", "cd", "" }));
        Assert.That(Cursor(grid), Is.EqualTo((2, 1)));
    }

    [Test]
    public void A_line_end_at_the_bottom_scrolls_everything_up_one_row()
    {
        var grid = Grid(10, 3, "1\n2\n3\n4");
        Assert.That(Rows(grid), Is.EqualTo(new[] { "2", "3", "4" }));
        Assert.That(grid.Scrolls, Is.EqualTo(1));
        Assert.That(Enumerable.Range(0, 3).All(grid.IsDirty), Is.True, "a scroll dirties every row");
    }

    [Test]
    public void A_long_line_wraps_and_one_exactly_as_wide_as_the_screen_leaves_no_blank_row()
    {
        var grid = Grid(4, 4, "abcdef\nwxyz\nk");
        Assert.That(Rows(grid), Is.EqualTo(new[] { "abcd", "ef", "wxyz", "k" }));
    }

    [Test]
    public void The_wrap_waits_for_the_next_printable_character()
    {
        var grid = Grid(4, 2, "abcd");
        Assert.That(Cursor(grid), Is.EqualTo((3, 0)), "the cursor stays on the last column");
        Write(grid, "\b");
        Assert.That(Cursor(grid), Is.EqualTo((2, 0)), "a cursor movement cancels the pending wrap");
        Write(grid, "XY");
        Assert.That(Rows(grid), Is.EqualTo(new[] { "abXY", "" }));
    }

    [Test]
    public void Carriage_return_and_backspace_move_without_erasing()
    {
        var grid = Grid(10, 2, "hello\rj\b\b");
        Assert.That(Rows(grid)[0], Is.EqualTo("jello"));
        Assert.That(Cursor(grid), Is.EqualTo((0, 0)), "backspace stops at the left edge");
    }

    [Test]
    public void Tab_moves_to_the_next_multiple_of_eight()
    {
        var grid = Grid(20, 1, "ab\tc\t\t\t");
        Assert.That(grid.RowText(0).IndexOf('c'), Is.EqualTo(8));
        Assert.That(Cursor(grid), Is.EqualTo((19, 0)), "clamped at the right edge");
    }

    [TestCase("\u001b[C", 4)]
    [TestCase("\u001b[3C", 6)]
    [TestCase("\u001b[0C", 4)]
    [TestCase("\u001b[99C", 9)]
    [TestCase("\u001b[D", 2)]
    [TestCase("\u001b[2D", 1)]
    [TestCase("\u001b[50D", 0)]
    [TestCase("\u001b[12345678901D", 0)]   // a count that would overflow an int: clamped
    public void Cursor_right_and_left_take_an_optional_count(string sequence, int column)
    {
        var grid = Grid(10, 1, "abc");
        Write(grid, sequence);
        Assert.That(Cursor(grid), Is.EqualTo((column, 0)));
        Assert.That(Rows(grid)[0], Is.EqualTo("abc"), "movement erases nothing");
    }

    [Test]
    public void Erase_in_line_clears_from_the_cursor_to_the_end()
    {
        var grid = Grid(20, 2, "first\nsecond line\u001b[5D\u001b[K");
        Assert.That(Rows(grid), Is.EqualTo(new[] { "first", "second" }));
        Assert.That(Cursor(grid), Is.EqualTo((6, 1)), "the cursor does not move");
    }

    [Test]
    public void Erase_in_line_modes_one_and_two()
    {
        Assert.That(Rows(Grid(10, 1, "abcdef\u001b[3D\u001b[1K"))[0], Is.EqualTo("    ef"));
        Assert.That(Rows(Grid(10, 1, "abcdef\u001b[2K"))[0], Is.EqualTo(""));
    }

    [Test]
    public void Clear_screen_and_home_start_over()
    {
        var grid = Grid(10, 3, "a\nb\nc\u001b[2J");
        Assert.That(Rows(grid), Is.EqualTo(new[] { "", "", "" }));
        Assert.That(Cursor(grid), Is.EqualTo((1, 2)), "ESC[2J alone leaves the cursor where it was");
        Write(grid, "\u001b[Hx");
        Assert.That(Rows(grid)[0], Is.EqualTo("x"));
    }

    [Test]
    public void Cursor_position_takes_one_based_row_and_column()
    {
        var grid = Grid(10, 4, "\u001b[3;5Hx\u001b[;2Hy\u001b[99;99Hz");
        Assert.That(Rows(grid), Is.EqualTo(new[] { " y", "", "    x", "         z" }));
    }

    [TestCase("\u001b[31mred\u001b[0m", "red")]             // SGR: colours are not shown
    [TestCase("\u001b[?25lhidden", "hidden")]               // private-mode parameters
    [TestCase("\u001b(Bascii", "ascii")]                    // a designation with an intermediate byte
    [TestCase("\u001b7save\u001b8", "save")]                // two-byte escapes
    [TestCase("\u001b[1;2;3;4;5;6;7;8Xok", "ok")]           // more parameters than kept
    [TestCase("a\u0007b\u0000c\u007fd", "abcd")]            // BEL, NUL, DEL show nothing
    [TestCase("\u001b[\u001b[Cx", " x")]                    // ESC inside a sequence starts a new one
    public void Other_sequences_and_controls_are_swallowed_not_printed(string text, string shown)
    {
        Assert.That(Rows(Grid(20, 1, text))[0], Is.EqualTo(shown));
    }

    [Test]
    public void Characters_beyond_ASCII_show_as_a_question_mark()
    {
        Assert.That(Rows(Grid(10, 1, "µ°"))[0], Is.EqualTo("??"));
    }

    [Test]
    public void A_line_editor_redraw_sequence_leaves_the_edited_line()
    {
        // What a shell sends after Backspace in the middle of "hello": move left, rewrite the rest, erase, move back.
        var grid = Grid(20, 1, "> hello\u001b[2D\b");
        Write(grid, "lo\u001b[K\u001b[2D");
        Assert.That(Rows(grid)[0], Is.EqualTo("> helo"));
        Assert.That(Cursor(grid), Is.EqualTo((4, 0)));
    }

    [Test]
    public void Only_written_rows_are_dirty_once_cleared()
    {
        var grid = new TextGrid(10, 3);
        for (int row = 0; row < 3; row++) grid.ClearDirty(row);
        Write(grid, "\nx");
        Assert.That(Enumerable.Range(0, 3).Select(grid.IsDirty), Is.EqualTo(new[] { false, true, false }));
    }

    [Test]
    public void The_font_has_a_glyph_for_every_printable_character()
    {
        for (char c = Font8x16.First; c <= Font8x16.Last; c++)
        {
            int lit = Enumerable.Range(0, Font8x16.Height).Sum(row => System.Numerics.BitOperations.PopCount(Font8x16.Row(c, row)));
            Assert.That(lit > 0, Is.EqualTo(c != ' '), $"glyph for '{c}'");
        }
        Assert.That(Enumerable.Range(0, 16).Select(row => Font8x16.Row('\u00e9', row)), Is.EqualTo(Enumerable.Range(0, 16).Select(row => Font8x16.Row('?', row))));
    }
}

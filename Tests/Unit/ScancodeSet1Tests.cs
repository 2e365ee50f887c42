using Kernel.Arch;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>Scan code set 1 (as the 8042 translates) into the bytes a terminal sends, key by key and in sequences.</summary>
public unsafe class ScancodeSet1Tests
{
    private const byte Release = 0x80, LeftShift = 0x2A, RightShift = 0x36, Control = 0x1D, Alt = 0x38, CapsLock = 0x3A;

    // Feeds scan codes; returns every byte produced, in order.
    private static byte[] Feed(ScancodeSet1 keyboard, params byte[] scancodes)
    {
        var produced = new List<byte>();
        byte* output = stackalloc byte[ScancodeSet1.MaxBytes];
        foreach (byte scancode in scancodes)
        {
            int count = keyboard.Translate(scancode, output);
            Assert.That(count, Is.InRange(0, ScancodeSet1.MaxBytes));
            for (int i = 0; i < count; i++) produced.Add(output[i]);
        }
        return produced.ToArray();
    }

    private static byte[] Press(params byte[] makeCodes)
    {
        var keyboard = new ScancodeSet1();
        var codes = new List<byte>();
        foreach (byte code in makeCodes) { codes.Add(code); codes.Add((byte)(code | Release)); }
        return Feed(keyboard, codes.ToArray());
    }

    private static byte[] Bytes(string text) => text.Select(c => (byte)c).ToArray();

    [Test]
    public void Letters_digits_and_punctuation_of_a_US_layout()
    {
        // h e l l o , space 1 2 0 - = [ ] ; ' ` \ , . /
        Assert.That(Press(0x23, 0x12, 0x26, 0x26, 0x18, 0x39, 0x02, 0x03, 0x0B, 0x0C, 0x0D, 0x1A, 0x1B, 0x27, 0x28, 0x29, 0x2B, 0x33, 0x34, 0x35),
                    Is.EqualTo(Bytes("hello 120-=[];'`\\,./")));
    }

    [Test]
    public void Every_key_of_the_main_block_with_shift()
    {
        var keyboard = new ScancodeSet1();
        var produced = new List<byte>();
        Feed(keyboard, LeftShift);
        foreach (byte code in new byte[] { 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x10, 0x1A, 0x1B, 0x1E, 0x27, 0x28, 0x29, 0x2B, 0x2C, 0x33, 0x34, 0x35, 0x39 })
            produced.AddRange(Feed(keyboard, code, (byte)(code | Release)));
        Assert.That(produced, Is.EqualTo(Bytes("!@#$%^&*()_+Q{}A:\"~|Z<>? ")));
    }

    [Test]
    public void Shift_applies_only_while_held_and_either_shift_works()
    {
        var keyboard = new ScancodeSet1();
        Assert.That(Feed(keyboard, LeftShift, 0x1E, LeftShift | Release, 0x1E, RightShift, 0x30, RightShift | Release, 0x30), Is.EqualTo(Bytes("AaBb")));
    }

    [Test]
    public void Caps_lock_toggles_letters_only_and_shift_inverts_it()
    {
        var keyboard = new ScancodeSet1();
        Assert.That(Feed(keyboard, CapsLock, CapsLock | Release, 0x1E, 0x02, LeftShift, 0x1E, 0x02, LeftShift | Release), Is.EqualTo(Bytes("A1a!")));
        Assert.That(keyboard.CapsLock, Is.True);
        Assert.That(Feed(keyboard, CapsLock, CapsLock | Release, 0x1E), Is.EqualTo(Bytes("a")));
    }

    [Test]
    public void Enter_backspace_tab_and_escape()
    {
        Assert.That(Press(0x1C, 0x0E, 0x0F, 0x01), Is.EqualTo(new byte[] { 0x0D, 0x7F, 0x09, 0x1B }));
    }

    [TestCase((byte)0x1E, (byte)0x01)]   // Ctrl-A
    [TestCase((byte)0x2E, (byte)0x03)]   // Ctrl-C
    [TestCase((byte)0x20, (byte)0x04)]   // Ctrl-D
    [TestCase((byte)0x2C, (byte)0x1A)]   // Ctrl-Z
    [TestCase((byte)0x1A, (byte)0x1B)]   // Ctrl-[ is ESC
    [TestCase((byte)0x2B, (byte)0x1C)]   // Ctrl-\
    [TestCase((byte)0x39, (byte)0x00)]   // Ctrl-Space is NUL
    public void Control_makes_control_characters(byte key, byte expected)
    {
        var keyboard = new ScancodeSet1();
        Assert.That(Feed(keyboard, Control, key), Is.EqualTo(new[] { expected }));
        Assert.That(Feed(keyboard, (byte)(key | Release), Control | Release, key), Is.EqualTo(Feed(new ScancodeSet1(), key)), "released: plain again");
    }

    [Test]
    public void Right_control_and_shifted_control_letters_work_too()
    {
        var keyboard = new ScancodeSet1();
        Assert.That(Feed(keyboard, 0xE0, Control, LeftShift, 0x2E), Is.EqualTo(new byte[] { 0x03 }));
        Assert.That(keyboard.ControlDown, Is.True);
        Feed(keyboard, 0xE0, Control | Release);
        Assert.That(keyboard.ControlDown, Is.False);
    }

    [Test]
    public void Alt_sends_escape_before_the_key()
    {
        var keyboard = new ScancodeSet1();
        Assert.That(Feed(keyboard, Alt, 0x30, Alt | Release, 0x30), Is.EqualTo(new byte[] { 0x1B, (byte)'b', (byte)'b' }));
    }

    [TestCase((byte)0x48, "\u001b[A")]    // Up
    [TestCase((byte)0x50, "\u001b[B")]    // Down
    [TestCase((byte)0x4D, "\u001b[C")]    // Right
    [TestCase((byte)0x4B, "\u001b[D")]    // Left
    [TestCase((byte)0x47, "\u001b[H")]    // Home
    [TestCase((byte)0x4F, "\u001b[F")]    // End
    [TestCase((byte)0x53, "\u001b[3~")]   // Delete
    [TestCase((byte)0x52, "\u001b[2~")]   // Insert
    [TestCase((byte)0x49, "\u001b[5~")]   // Page Up
    [TestCase((byte)0x51, "\u001b[6~")]   // Page Down
    [TestCase((byte)0x1C, "\r")]          // keypad Enter
    [TestCase((byte)0x35, "/")]           // keypad /
    public void Extended_keys_send_VT100_sequences(byte code, string expected)
    {
        Assert.That(Feed(new ScancodeSet1(), 0xE0, code, 0xE0, (byte)(code | Release)), Is.EqualTo(Bytes(expected)));
    }

    [Test]
    public void Fake_shifts_around_extended_keys_change_nothing()
    {
        // Some keyboards wrap the cursor keys in E0 2A ... E0 AA: the Up arrow must stay an arrow, later letters lower case.
        var keyboard = new ScancodeSet1();
        Assert.That(Feed(keyboard, 0xE0, 0x2A, 0xE0, 0x48, 0xE0, 0xC8, 0xE0, 0xAA, 0x1E), Is.EqualTo(Bytes("\u001b[Aa")));
        Assert.That(keyboard.ShiftDown, Is.False);
    }

    [Test]
    public void The_keypad_follows_num_lock()
    {
        var keyboard = new ScancodeSet1();
        Assert.That(keyboard.NumLock, Is.True);
        Assert.That(Feed(keyboard, 0x47, 0x4B, 0x53, 0x4A, 0x37), Is.EqualTo(Bytes("74.-*")));
        Feed(keyboard, 0x45, 0xC5);
        Assert.That(Feed(keyboard, 0x47, 0x4B, 0x4C, 0x53, 0x4E), Is.EqualTo(Bytes("\u001b[H\u001b[D\u001b[3~+")));
    }

    [Test]
    public void Pause_function_keys_and_unknown_codes_produce_nothing()
    {
        var keyboard = new ScancodeSet1();
        Assert.That(Feed(keyboard, 0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5), Is.Empty, "Pause");
        Assert.That(Feed(keyboard, 0x3B, 0xBB, 0x58, 0xD8, 0x7F, 0xE0, 0x5B, 0xFA, 0xFE), Is.Empty, "F1, F12, unknown, Windows key, ACK, resend");
        Assert.That(Feed(keyboard, 0x1E), Is.EqualTo(Bytes("a")), "and the state is clean afterwards");
    }

    [Test]
    public void Key_repeat_sends_the_key_again()
    {
        Assert.That(Feed(new ScancodeSet1(), 0x1F, 0x1F, 0x1F, 0x9F), Is.EqualTo(Bytes("sss")));
    }
}

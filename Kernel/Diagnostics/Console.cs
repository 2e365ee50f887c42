using Kernel.Arch;
using Kernel.Lib;

namespace Kernel.Diagnostics
{
    /// <summary>
    /// Where kernel text goes: the serial port today (the screen joins later). Whole lines only, so
    /// the serial protocol the host tests parse stays line-based.
    /// </summary>
    public static unsafe class Console
    {
        public static void WriteLine(string text)
        {
            for (int i = 0; i < text.Length; i++) Serial.Write(text[i]);
            Serial.Write('\n');
        }

        public static void WriteLine(ref TextBuffer line)
        {
            char* chars = stackalloc char[TextBuffer.Capacity + 1];
            int count = line.CopyTo(chars, TextBuffer.Capacity + 1);
            for (int i = 0; i < count; i++) Serial.Write(chars[i]);
            Serial.Write('\n');
        }
    }
}

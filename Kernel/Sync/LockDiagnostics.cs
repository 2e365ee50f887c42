using System.Runtime.CompilerServices;
using Kernel.Lib;

namespace Kernel.Sync
{
    /// <summary>The panic a misused lock raises: what went wrong, who holds it, where it was taken and where the misuse is.</summary>
    public static class LockDiagnostics
    {
        /// <summary>A string literal's address. Literals are frozen objects and nothing moves (no collector), so it stays valid.</summary>
        public static ulong AddressOf(string literal) => (ulong)Unsafe.As<string, nint>(ref literal);

        public static void Fail(string problem, int ownerCpu, ulong ownerFile, int ownerLine, string file, int line)
        {
            var text = new TextBuffer();
            text.Append($"{problem}: held by ");
            if (ownerCpu < 0) text.Append("nobody");
            else
            {
                text.Append($"CPU {ownerCpu}, taken at ");
                AppendLocation(ref text, StringAt(ownerFile), ownerLine);
            }
            text.Append("; now at ");
            AppendLocation(ref text, file, line);
            Panic.Halt(ref text);
        }

        private static string StringAt(ulong address)
        {
            nint pointer = (nint)address;
            return Unsafe.As<nint, string>(ref pointer);
        }

        private static void AppendLocation(ref TextBuffer text, string file, int line)
        {
            int start = file.LastIndexOf('/') + 1;
            for (int i = start; i < file.Length; i++) text.Append(file[i]);
            text.Append(':');
            text.AppendDecimal(line);
        }
    }
}

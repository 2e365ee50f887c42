#nullable enable
using System.Globalization;
using System.Text;

namespace AcpiTool;

/// <summary>
/// Reads one ACPI table out of a file: either the binary table itself (what `acpixtract` and `acpidump -b` write,
/// starting with the signature) or a whole `acpidump` text dump, from which the "SIG @ 0x..." block is decoded.
/// </summary>
public static class TableSource
{
    public const int BytesPerLine = 16;

    public sealed record Loaded(byte[] Table, string Format);

    /// <summary>The table with <paramref name="signature"/> from <paramref name="path"/>, or null and a one-line reason.</summary>
    public static Loaded? Load(string path, string signature, out string error)
    {
        error = "";
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error = $"{path}: cannot read the file: {e.Message}";
            return null;
        }

        // A dump can start with this very table ("APIC @ 0x..."), so the signature alone does not make it binary.
        string start = Encoding.ASCII.GetString(bytes, 0, Math.Min(bytes.Length, 7));
        if (start.StartsWith(signature, StringComparison.Ordinal) && !start.StartsWith(signature + " @ ", StringComparison.Ordinal))
            return new Loaded(bytes, "binary");

        var table = FromAcpiDump(Encoding.ASCII.GetString(bytes), signature, out error);
        if (table is not null) return new Loaded(table, "acpidump");
        error = $"{path}: {error}";
        return null;
    }

    /// <summary>
    /// Decodes the first "SIG @ 0x..." block of an acpidump text. Each line is "OFFSET: " then up to 16 two-digit hex
    /// bytes at fixed 3-character steps (padded with spaces on the last line), then the ASCII column; reading by
    /// position keeps ASCII text that looks like hex out of the table.
    /// </summary>
    public static byte[]? FromAcpiDump(string text, string signature, out string error)
    {
        error = "";
        var lines = text.Replace("\r\n", "\n").Split('\n');
        int start = Array.FindIndex(lines, l => l.TrimStart().StartsWith(signature + " @ ", StringComparison.Ordinal));
        if (start < 0)
        {
            error = bytesLookBinary(text)
                ? $"neither a binary {signature} table (it does not start with \"{signature}\") nor an acpidump text"
                : $"no \"{signature} @ 0x...\" block: not an acpidump text with an {signature} table";
            return null;
        }

        var table = new List<byte>();
        for (int i = start + 1; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0) break;
            int colon = line.IndexOf(':');
            if (colon <= 0 || !int.TryParse(line.AsSpan(0, colon), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int offset))
            {
                if (table.Count > 0) break;   // the next block's header, or text after the dump
                error = $"line {i + 1}: expected \"OFFSET: hex bytes\" after \"{signature} @\", found \"{Shorten(line)}\"";
                return null;
            }
            if (offset != table.Count)
            {
                error = $"line {i + 1}: offset 0x{offset:X4} where 0x{table.Count:X4} was expected";
                return null;
            }
            int count = 0;
            for (int p = colon + 2; count < BytesPerLine && p + 2 <= line.Length; p += 3, count++)
            {
                if (p + 2 < line.Length && line[p + 2] != ' ') break;
                if (!byte.TryParse(line.AsSpan(p, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte value)) break;
                table.Add(value);
            }
            if (count == 0)
            {
                error = $"line {i + 1}: no hex bytes after the offset";
                return null;
            }
        }
        if (table.Count == 0)
        {
            error = $"the \"{signature} @\" block holds no bytes";
            return null;
        }
        return table.ToArray();

        static bool bytesLookBinary(string s) => s.Any(c => c == '\0');
    }

    private static string Shorten(string line) => line.Length <= 40 ? line : line[..40] + "...";
}

#nullable enable
using System.Globalization;
using Kernel.Arch.Acpi;

namespace AcpiTool;

/// <summary>
/// The command line, kept apart from Program so the host tests run it as a library call:
/// exit 0 when the table was decoded (a bad checksum is reported in the output), 1 when the file or table
/// cannot be read, 2 for a usage error.
/// </summary>
public static class AcpiToolCli
{
    public const string Usage =
        "usage: AcpiTool madt FILE [--json] [--max-cpus N] [--boot-apic-id N]\n" +
        "       AcpiTool fadt FILE [--json]\n" +
        "FILE is a binary table (as acpixtract writes it) or a whole acpidump text dump.";

    public static unsafe int Run(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            (args.Length == 0 ? error : output).WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        string verb = args[0];
        if (verb is not ("madt" or "fadt")) return UsageError(error, $"unknown command '{verb}'");

        string? file = null;
        bool json = false;
        int maxCpus = int.MaxValue;
        uint bootApicId = Madt.UnknownApicId;
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--json":
                    json = true;
                    break;
                case "--max-cpus" when verb == "madt":
                    if (++i >= args.Length || !int.TryParse(args[i], NumberStyles.None, CultureInfo.InvariantCulture, out maxCpus) || maxCpus < 1)
                        return UsageError(error, "--max-cpus needs a positive number");
                    break;
                case "--boot-apic-id" when verb == "madt":
                    if (++i >= args.Length || !uint.TryParse(args[i], NumberStyles.None, CultureInfo.InvariantCulture, out bootApicId))
                        return UsageError(error, "--boot-apic-id needs a number");
                    break;
                default:
                    if (args[i].StartsWith('-') || file is not null) return UsageError(error, $"unexpected argument '{args[i]}'");
                    file = args[i];
                    break;
            }
        }
        if (file is null) return UsageError(error, "no FILE given");

        string signature = verb == "madt" ? "APIC" : "FACP";
        var loaded = TableSource.Load(file, signature, out string loadError);
        if (loaded is null)
        {
            error.WriteLine(loadError);
            return 1;
        }

        fixed (byte* table = loaded.Table)
        {
            if (verb == "madt")
            {
                var madt = Madt.Parse(table, (ulong)loaded.Table.Length, bootApicId, maxCpus);
                if (!Parsed(madt.Status)) return Unreadable(error, file, madt.Error);
                output.WriteLine(json ? Reports.MadtJson(madt, file, loaded.Format) : Reports.MadtText(madt).TrimEnd());
            }
            else
            {
                var fadt = Fadt.Parse(table, (ulong)loaded.Table.Length);
                if (!Parsed(fadt.Status)) return Unreadable(error, file, fadt.Error);
                output.WriteLine(json ? Reports.FadtJson(fadt, file, loaded.Format) : Reports.FadtText(fadt).TrimEnd());
            }
        }
        return 0;
    }

    private static bool Parsed(AcpiTableStatus status) => status is AcpiTableStatus.Valid or AcpiTableStatus.BadChecksum;

    private static int Unreadable(TextWriter error, string file, string? reason)
    {
        error.WriteLine($"{file}: {reason}");
        return 1;
    }

    private static int UsageError(TextWriter error, string message)
    {
        error.WriteLine($"AcpiTool: {message}");
        error.WriteLine(Usage);
        return 2;
    }
}

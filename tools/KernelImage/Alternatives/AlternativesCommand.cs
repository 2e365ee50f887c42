namespace Kernel.Tools.Alternatives;

/// <summary>
/// KernelImage alternatives [--verify] &lt;kernel.elf&gt; &lt;keep-locked.txt&gt;: finds every lock site and writes the
/// .alt_locks table into the linked image in place (or, with --verify, checks the table already there is
/// exactly that). Prints one summary line; on any problem prints each as an "error:" line and writes nothing.
/// </summary>
public static class AlternativesCommand
{
    public const string Usage = "KernelImage alternatives [--verify] <kernel.elf> <keep-locked.txt>";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        bool verify = args.Length == 3 && args[0] == "--verify";
        if (args.Length != (verify ? 3 : 2))
        {
            error.WriteLine($"usage: {Usage}");
            return 2;
        }
        string elfPath = args[^2], keepPath = args[^1];

        var elf = ElfImage.Load(elfPath);
        var problems = new List<string>();
        var image = AlternativesImage.Read(elf, problems);
        AlternativesResult? result = null;
        if (image != null)
        {
            result = AlternativesGenerator.Generate(image.Code, KeepLockedList.Load(keepPath), image.Capacity);
            problems.AddRange(result.Errors);
            if (verify && problems.Count == 0) problems.AddRange(image.CompareLockTable(elf, result));
        }
        if (problems.Count > 0)
        {
            foreach (string problem in problems) error.WriteLine($"error: {problem}");
            return 1;
        }

        if (!verify)
        {
            using var file = new FileStream(elfPath, FileMode.Open, FileAccess.Write);
            file.Position = (long)image!.LockTable.Offset;
            file.Write(image.EncodeLockTable(result!));
        }
        output.WriteLine(result!.Summary);
        return 0;
    }
}

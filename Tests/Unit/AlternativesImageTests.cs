using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Iced.Intel;
using Kernel.Arch;
using Kernel.Tools;
using Kernel.Tools.Alternatives;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>tools/KernelImage's alternatives pass on the real linked kernel (artifacts/boot/kernel.elf), when one is built.</summary>
public class AlternativesImageTests
{
    private static string RepoFile(string relative, [CallerFilePath] string thisFile = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "..", relative));

    private static string KernelElf => RepoFile("artifacts/boot/kernel.elf");
    private static string KeepLocked => RepoFile("Arch.x86/Alternatives/keep-locked.txt");

    [SetUp]
    public void RequireBuiltKernel()
    {
        if (!File.Exists(KernelElf) || ElfImage.Load(KernelElf).Section(".alt_locks") == null)
            Assert.Ignore($"no kernel with an .alt_locks section at {KernelElf}: build it first (./build.sh build)");
        if (!File.Exists(KeepLocked))
            Assert.Ignore($"{KeepLocked} is missing");
    }

    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = AlternativesCommand.Run(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    [Test]
    public void The_built_kernel_carries_exactly_the_lock_table_it_needs()
    {
        var (exit, output, error) = Run("--verify", KernelElf, KeepLocked);
        Assert.That(exit, Is.EqualTo(0), error);
        Assert.That(output, Does.Match(@"^alternatives: \d+ lock sites \(\d+ in C#, \d+ in asm\), \d+ replacement sites"));
    }

    [Test]
    public void Writing_the_table_again_changes_nothing()
    {
        string copy = Path.Combine(Path.GetTempPath(), $"kernel-{Guid.NewGuid():N}.elf");
        try
        {
            File.Copy(KernelElf, copy);
            Assert.That(Run(copy, KeepLocked).Exit, Is.EqualTo(0));
            byte[] once = File.ReadAllBytes(copy);
            Assert.That(Run(copy, KeepLocked).Exit, Is.EqualTo(0));
            Assert.That(File.ReadAllBytes(copy), Is.EqualTo(once));
            Assert.That(once, Is.EqualTo(File.ReadAllBytes(KernelElf)), "the build wrote the same table");
        }
        finally
        {
            File.Delete(copy);
        }
    }

    [TestCase(nameof(AltLockTable.Magic), ".alt_locks does not start with an AltLockTable")]
    [TestCase(nameof(AltLockTable.Capacity), "expected 4096 slots after a 16-byte header")]
    public void A_damaged_lock_table_header_fails_without_writing(string field, string expected)
    {
        string copy = Path.Combine(Path.GetTempPath(), $"kernel-{Guid.NewGuid():N}.elf");
        try
        {
            var lockTable = ElfImage.Load(KernelElf).Section(".alt_locks")!;
            byte[] damaged = File.ReadAllBytes(KernelElf);
            damaged[(int)lockTable.Offset + (int)Marshal.OffsetOf<AltLockTable>(field)] ^= 1;
            File.WriteAllBytes(copy, damaged);

            var (exit, _, error) = Run(copy, KeepLocked);
            Assert.That(exit, Is.EqualTo(1));
            Assert.That(error, Does.StartWith("error: ").And.Contain(expected));
            Assert.That(File.ReadAllBytes(copy), Is.EqualTo(damaged));
        }
        finally
        {
            File.Delete(copy);
        }
    }

    [Test]
    public void Every_table_entry_is_a_lock_prefix_that_unlocks_to_the_same_instruction()
    {
        var (elf, image) = ReadKernel();

        byte[] table = elf.Contents(image.LockTable, image.LockTable.Address, image.LockTable.Size).ToArray();
        int count = (int)BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan((int)Marshal.OffsetOf<AltLockTable>(nameof(AltLockTable.Count))));
        var sites = Enumerable.Range(0, count)
                              .Select(i => image.Code.TextStart + BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(Marshal.SizeOf<AltLockTable>() + 4 * i)))
                              .ToHashSet();
        Assert.That(count, Is.GreaterThan(0), "ilc inlines the kernel's atomics, so the table cannot be empty");

        int found = 0;
        foreach (var function in image.Code.Functions.Where(f => sites.Any(s => s >= f.Address && s < f.End)))
        {
            var locked = Decode(function.Address, function.Code);
            byte[] unlockedCode = (byte[])function.Code.Clone();
            foreach (ulong site in sites.Where(s => s >= function.Address && s < function.End))
            {
                var instruction = locked.Single(i => site >= i.IP && site < i.NextIP);
                Assert.That(instruction.HasLockPrefix, Is.True, $"0x{site:x} in {function.Name}: {instruction}");
                Assert.That(function.Code[site - function.Address], Is.EqualTo(0xF0));
                unlockedCode[site - function.Address] = 0x3E;
                found++;
            }

            var unlocked = Decode(function.Address, unlockedCode);
            Assert.That(unlocked.Select(i => (i.IP, i.Length, i.Mnemonic)), Is.EqualTo(locked.Select(i => (i.IP, i.Length, i.Mnemonic))), function.Name);
            Assert.That(unlocked.Where(i => sites.Any(s => s >= i.IP && s < i.NextIP) && i.HasLockPrefix), Is.Empty, function.Name);
        }
        Assert.That(found, Is.EqualTo(count), "every entry lies in a function of .text");
    }

    /// <summary>
    /// A thread stopped inside a UP/SMP site while the kernel switches forms resumes at the same byte: it must be an
    /// instruction boundary of the other form too (issue 15, defect 4; model Tests/Models/UpTicket.pml).
    /// </summary>
    [Test]
    public void Every_up_sequence_has_the_instruction_boundaries_of_its_smp_form()
    {
        var elf = ElfImage.Load(KernelElf);
        var text = elf.Section(".text")!;
        var replacements = elf.Section(".alt_replacements")!;
        byte[] records = elf.Contents(replacements, replacements.Address, replacements.Size).ToArray();
        int size = Marshal.SizeOf<AltReplacement>();
        int sequences = 0;
        for (int offset = 0; offset + size <= records.Length; offset += size)
        {
            if (records[offset + (int)Marshal.OffsetOf<AltReplacement>(nameof(AltReplacement.Kind))] != AltKind.UpSequence) continue;
            ulong site = BinaryPrimitives.ReadUInt64LittleEndian(records.AsSpan(offset + (int)Marshal.OffsetOf<AltReplacement>(nameof(AltReplacement.Site))));
            int length = records[offset + (int)Marshal.OffsetOf<AltReplacement>(nameof(AltReplacement.Length))];
            byte[] smp = elf.Contents(text, site, (ulong)length).ToArray();
            byte[] up = records.AsSpan(offset + (int)Marshal.OffsetOf<AltReplacement>(nameof(AltReplacement.Replacement)), length).ToArray();
            Assert.That(Decode(site, up).Select(i => i.IP), Is.EqualTo(Decode(site, smp).Select(i => i.IP)),
                        $"the UP/SMP site at 0x{site:x}: instruction starts differ between the forms");
            sequences++;
        }
        Assert.That(sequences, Is.GreaterThan(0), "lock_take_ticket is a UP/SMP sequence");
    }

    private static (ElfImage Elf, AlternativesImage Image) ReadKernel()
    {
        var elf = ElfImage.Load(KernelElf);
        var problems = new List<string>();
        var image = AlternativesImage.Read(elf, problems);
        Assert.That(problems, Is.Empty);
        return (elf, image!);
    }

    private static List<Instruction> Decode(ulong address, byte[] code)
    {
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(code), address);
        var instructions = new List<Instruction>();
        while (decoder.IP < address + (ulong)code.Length) instructions.Add(decoder.Decode());
        return instructions;
    }
}

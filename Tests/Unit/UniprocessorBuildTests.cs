using System.Runtime.CompilerServices;
using Kernel.Tools;
using Kernel.Tools.Alternatives;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>
/// The MaxCpus=1 build (artifacts/boot-maxcpus1/, built with the tests) has no AP code at all: no trampoline, no
/// INIT-SIPI-SIPI path, no AP entry, no lock waiting. Checked on both linked images, so the symbols looked for are
/// known to exist in the default build.
/// </summary>
public class UniprocessorBuildTests
{
    // The start-up path from the trampoline to the AP's C# entry, and the only spinning wait of the big kernel lock.
    private static readonly string[] ApCode =
    [
        "trampoline_start", "trampoline_long_entry",
        "Kernel_Kernel_Smp_SmpBoot__Start", "Kernel_Kernel_Smp_SmpBoot__ApEntry", "Kernel_Kernel_Smp_SmpBoot__WaitForArrivals",
        "Kernel_Kernel_Smp_SmpBoot__SendOrReport", "Kernel_Kernel_Arch_ApTrampoline__Prepare",
        "Kernel_Kernel_Sync_BigKernelLock__WaitForTurn",
        "Kernel_Kernel_Sync_SpinThenHalt__WaitForTicket", "Kernel_Kernel_Sync_SpinThenHalt__HaltStep", "Kernel_Kernel_Sync_SpinThenHalt__Kick",
    ];

    private static string RepoFile(string relative, [CallerFilePath] string thisFile = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "..", relative));

    private static HashSet<string> SymbolsOf(string variantFolder)
    {
        string elf = RepoFile($"artifacts/{variantFolder}/kernel.elf");
        if (!File.Exists(elf))
            Assert.Fail($"{elf} does not exist: dotnet build Kernel.sln builds both kernels");
        return ElfImage.Load(elf).Symbols().Select(symbol => symbol.Name).ToHashSet();
    }

    [Test]
    public void The_default_build_has_the_ap_start_up_code()
    {
        var symbols = SymbolsOf("boot");
        Assert.That(ApCode.Where(name => !symbols.Contains(name)), Is.Empty, "symbols the check relies on are gone: update ApCode");
    }

    [Test]
    public void The_uniprocessor_build_has_none_of_it()
    {
        var symbols = SymbolsOf("boot-maxcpus1");
        Assert.That(ApCode.Where(symbols.Contains), Is.Empty);
    }

    [Test]
    public void The_uniprocessor_builds_lock_table_accounts_for_every_lock_prefix()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = AlternativesCommand.Run(["--verify", RepoFile("artifacts/boot-maxcpus1/kernel.elf"), RepoFile("Arch.x86/Alternatives/keep-locked.txt")], output, error);
        Assert.That(exit, Is.EqualTo(0), error.ToString());
    }
}

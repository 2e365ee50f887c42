using System.Runtime.CompilerServices;
using Iced.Intel;
using Kernel.Tools;
using Kernel.Tools.Alternatives;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>
/// Orderings the emulators cannot show (TCG and Bochs never run stale patched code, and their xAPIC ICR is idle the
/// moment it is written), checked on the linked kernel's code: the calls a function makes, in order.
/// </summary>
public class CallOrderTests
{
    private static string KernelElf([CallerFilePath] string thisFile = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "..", "artifacts/boot/kernel.elf"));

    /// <summary>The direct calls (by callee name) and indirect calls ("(indirect)") of a linked function, in address order.</summary>
    private static List<string> CallsIn(string function)
    {
        if (!File.Exists(KernelElf()))
            Assert.Fail($"{KernelElf()} does not exist: build the kernel first (./build.sh build)");
        var problems = new List<string>();
        var image = AlternativesImage.Read(ElfImage.Load(KernelElf()), problems);
        Assert.That(problems, Is.Empty);
        var names = image!.Code.Functions.ToDictionary(f => f.Address, f => f.Name);
        var code = image.Code.Functions.Single(f => f.Names.Contains(function));
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(code.Code), code.Address);
        var calls = new List<string>();
        while (decoder.IP < code.End)
        {
            var instruction = decoder.Decode();
            if (instruction.FlowControl == FlowControl.IndirectCall) calls.Add("(indirect)");
            else if (instruction.FlowControl == FlowControl.Call) calls.Add(names.GetValueOrDefault(instruction.NearBranchTarget, "?"));
        }
        return calls;
    }

    /// <summary>
    /// Code written through the alias may run stale until a serialising instruction (SDM Vol. 3A §9.1.3), so nothing
    /// may be called between the writes (`apply`, an indirect call) and CPUID: not even UnmapAlias, which takes a lock
    /// through a patched site (issue 15, defect 5).
    /// </summary>
    [Test]
    public void The_patcher_serialises_before_calling_anything_after_its_writes()
    {
        var calls = CallsIn("Kernel_Kernel_Arch_Alternatives__Patch");
        int apply = calls.LastIndexOf("(indirect)");
        Assert.That(apply, Is.GreaterThanOrEqualTo(0), $"Patch calls `apply` through a pointer: {string.Join(", ", calls)}");
        Assert.That(calls.ElementAtOrDefault(apply + 1), Is.EqualTo("cpu_cpuid"), $"the first call after the writes: {string.Join(", ", calls)}");
    }

    /// <summary>
    /// Writing the xAPIC ICR while the previous IPI is still pending may replace it (SDM Vol. 3A §11.6.1; Linux waits
    /// for idle first, __xapic_wait_icr_idle): the send waits before its first register write (issue 15, defect 8).
    /// </summary>
    [Test]
    public void An_xapic_ipi_waits_for_the_icr_to_be_idle_before_writing_it()
    {
        var calls = CallsIn("Kernel_Kernel_Arch_LocalApic__SendIpi");
        int firstWrite = calls.IndexOf("Kernel_Kernel_Arch_LocalApic__Write");
        Assert.That(firstWrite, Is.GreaterThanOrEqualTo(0), $"the xAPIC path writes the ICR: {string.Join(", ", calls)}");
        Assert.That(calls.Take(firstWrite), Does.Contain("Kernel_Kernel_Arch_LocalApic__WaitForIcrIdle"), $"calls before the first ICR write: {string.Join(", ", calls)}");
    }
}

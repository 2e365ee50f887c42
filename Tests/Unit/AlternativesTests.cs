using Iced.Intel;
using Kernel.Arch;
using Kernel.Tools.Alternatives;
using NUnit.Framework;
using static Iced.Intel.AssemblerRegisters;

namespace Kernel.Tests.Unit;

/// <summary>tools/KernelImage's lock-site finder on synthetic functions assembled with Iced.</summary>
public class AlternativesTests
{
    private const ulong TextStart = 0x10_1000;
    private const ulong TextEnd = 0x11_0000;

    private static CodeFunction Function(string name, ulong address, Action<Assembler> emit)
    {
        var assembler = new Assembler(64);
        emit(assembler);
        var code = new MemoryStream();
        assembler.Assemble(new StreamCodeWriter(code), address);
        return new CodeFunction(name, address, code.ToArray(), name.StartsWith("Kernel_", StringComparison.Ordinal));
    }

    private static AlternativesResult Generate(IReadOnlyList<CodeFunction> functions, IReadOnlyList<ReplacementRange>? replacements = null,
                                               string keepLocked = "", int capacity = AlternativesLayout.MaxLockSites) =>
        AlternativesGenerator.Generate(new CodeImage(TextStart, TextEnd, functions, replacements ?? []),
                                       KeepLockedList.Parse(keepLocked, "keep-locked.txt"), capacity);

    private static ulong[] Sites(AlternativesResult result) => result.LockSites.Select(s => s.PrefixAddress).ToArray();

    /// <summary>mov eax, 1 (5 bytes); lock xadd [rdi], eax (4 bytes); lock cmpxchg [rsi], ecx; ret — as Atomic compiles.</summary>
    private static CodeFunction TicketLock(string name, ulong address) => Function(name, address, a =>
    {
        a.mov(eax, 1);
        a.@lock.xadd(__dword_ptr[rdi], eax);
        a.@lock.cmpxchg(__dword_ptr[rsi], ecx);
        a.ret();
    });

    [Test]
    public void Lock_xadd_and_lock_cmpxchg_in_managed_code_are_lock_sites()
    {
        var result = Generate([TicketLock("Kernel_Kernel_Sync_SpinLock__Acquire", TextStart)]);
        Assert.That(result.Errors, Is.Empty);
        Assert.That(Sites(result), Is.EqualTo(new[] { TextStart + 5, TextStart + 9 }));
        Assert.That(result.FromManagedCode, Is.EqualTo(2));
        Assert.That(result.Summary, Is.EqualTo("alternatives: 2 lock sites (2 in C#, 0 in asm), 0 replacement sites (0 UP/SMP sequences, 0 CPU-feature), 0 kept locked"));
    }

    [Test]
    public void Sites_of_several_functions_come_out_in_address_order()
    {
        var result = Generate([TicketLock("Kernel_B", TextStart + 0x40), TicketLock("Kernel_A", TextStart)]);
        Assert.That(Sites(result), Is.EqualTo(new[] { TextStart + 5, TextStart + 9, TextStart + 0x45, TextStart + 0x49 }));
    }

    [Test]
    public void An_asm_lock_inside_a_replacement_site_is_accounted_for()
    {
        var function = TicketLock("lock_take_ticket", TextStart);
        var result = Generate([function], [new ReplacementRange(TextStart, 13, AltKind.UpSequence, AltFeature.None)]);
        Assert.That(result.Errors, Is.Empty);
        Assert.That(result.LockSites, Is.Empty);
        Assert.That(result.LocksInReplacements, Is.EqualTo(2));
        Assert.That(result.Summary, Does.Contain("1 replacement sites (1 UP/SMP sequence, 0 CPU-feature)"));
    }

    [Test]
    public void The_verifier_rejects_an_image_with_an_unlisted_asm_lock_site()
    {
        var result = Generate([TicketLock("lock_take_ticket", TextStart)]);
        Assert.That(result.Errors, Has.Count.EqualTo(2));
        Assert.That(result.Errors[0], Is.EqualTo("0x101005 lock_take_ticket+0x5: lock xadd [rdi],eax: an asm lock prefix must sit inside an ALTERNATIVE sequence or be listed in keep-locked.txt"));
    }

    [Test]
    public void A_lock_outside_the_replacement_site_of_its_function_is_still_rejected()
    {
        var result = Generate([TicketLock("lock_take_ticket", TextStart)], [new ReplacementRange(TextStart, 9, AltKind.UpSequence, AltFeature.None)]);
        Assert.That(result.Errors, Has.One.Contains("lock_take_ticket+0x9: lock cmpxchg [rsi],ecx: an asm lock prefix must sit inside"));
    }

    [Test]
    public void Functions_in_the_keep_locked_list_stay_locked_and_out_of_the_table()
    {
        var result = Generate([TicketLock("trampoline_long_entry", TextStart), TicketLock("Kernel_Kernel_Panic__Halt", TextStart + 0x40)],
                              keepLocked: "# comment\n\ntrampoline_long_entry   # APs race for stack slots\nKernel_Kernel_Panic__Halt # CPUs stop together\n");
        Assert.That(result.Errors, Is.Empty);
        Assert.That(result.LockSites, Is.Empty);
        Assert.That(result.Kept.Select(k => k.PrefixAddress), Is.EqualTo(new[] { TextStart + 5, TextStart + 9, TextStart + 0x45, TextStart + 0x49 }));
        Assert.That(result.Summary, Does.EndWith("4 kept locked"));
    }

    [Test]
    public void An_alias_in_the_keep_locked_list_covers_the_function()
    {
        var function = TicketLock("Kernel_Kernel_Runtime_RuntimeExports__NewObject", TextStart) with { Names = ["Kernel_Kernel_Runtime_RuntimeExports__NewObject", "RhpNewFast"] };
        var result = Generate([function], keepLocked: "RhpNewFast  # exported under the runtime's name");
        Assert.That(result.Errors, Is.Empty);
        Assert.That(result.Kept, Has.Count.EqualTo(2));
    }

    [Test]
    public void Xchg_with_memory_is_rejected_and_xchg_between_registers_is_not()
    {
        var result = Generate([
            Function("Kernel_Swap", TextStart, a => { a.xchg(rax, rcx); a.xchg(__qword_ptr[rdi], rax); a.ret(); }),
            Function("cpu_swap", TextStart + 0x10, a => { a.xchg(__dword_ptr[rdi], eax); a.ret(); }),
        ]);
        Assert.That(result.Errors, Is.EqualTo(new[]
        {
            "0x101003 Kernel_Swap+0x3: xchg rax,[rdi]: implicitly locked: use Atomic.Swap (a lock cmpxchg loop) or list the function in keep-locked.txt",
            "0x101010 cpu_swap+0x0: xchg eax,[rdi]: implicitly locked: use Atomic.Swap (a lock cmpxchg loop) or list the function in keep-locked.txt",
        }));
        Assert.That(result.LockSites, Is.Empty);
    }

    [Test]
    public void A_kept_function_may_use_xchg_with_memory()
    {
        var result = Generate([Function("cpu_swap", TextStart, a => { a.xchg(__dword_ptr[rdi], eax); a.ret(); })], keepLocked: "cpu_swap # test");
        Assert.That(result.Errors, Is.Empty);
        Assert.That(result.Kept.Single().Disassembly, Is.EqualTo("xchg eax,[rdi]"));
    }

    [Test]
    public void F0_bytes_in_immediates_and_displacements_are_not_lock_prefixes()
    {
        var function = Function("cpu_constants", TextStart, a =>
        {
            a.mov(eax, 0xF0F0_F0F0u);
            a.add(__dword_ptr[rdi + 0xF0], eax);
            a.mov(rax, 0xF0F0_F0F0_F0F0_F0F0ul);
            a.cmp(__byte_ptr[rsi], 0xF0);
            a.ret();
        });
        Assert.That(function.Code.Count(b => b == 0xF0), Is.GreaterThanOrEqualTo(14), "the test needs 0xF0 bytes in the code");
        var result = Generate([function]);
        Assert.That(result.Errors, Is.Empty);
        Assert.That(result.LockSites, Is.Empty);
    }

    [Test]
    public void The_site_is_the_F0_byte_whatever_prefixes_come_before_it()
    {
        var function = Function("Kernel_Prefixes", TextStart, a =>
        {
            a.db(0x66, 0xF0, 0x83, 0x07, 0x01);         // operand size, then lock: lock add word [rdi], 1
            a.@lock.add(__word_ptr[rdi], 1);            // F0 66 ...
            a.@lock.add(__dword_ptr.fs[rdi], 1);        // 64 F0 ...
            a.db(0x2E, 0xF0, 0x48, 0x83, 0x07, 0x0A);   // segment, lock, REX.W: lock add qword [rdi], 10
            a.ret();
        });
        var result = Generate([function]);
        Assert.That(result.Errors, Is.Empty);
        Assert.That(Sites(result), Is.EqualTo(new[] { TextStart + 1, TextStart + 5, TextStart + 11, TextStart + 16 }));
        Assert.That(result.LockSites.Select(s => function.Code[s.PrefixAddress - TextStart]), Is.All.EqualTo(0xF0));
    }

    [TestCase(new byte[] { 0xF0, 0xFF, 0x07 }, 0)]
    [TestCase(new byte[] { 0x66, 0xF0, 0x83, 0x07, 0x01 }, 1)]
    [TestCase(new byte[] { 0x64, 0x67, 0xF0, 0x83, 0x07, 0x01 }, 2)]
    [TestCase(new byte[] { 0xF0, 0x48, 0x0F, 0xC1, 0x07 }, 0)]
    [TestCase(new byte[] { 0xF0, 0xF0, 0xFF, 0x07 }, -1)]   // two lock prefixes: not one byte to patch
    [TestCase(new byte[] { 0x48, 0xF0, 0x0F, 0xC1, 0x07 }, -1)] // a prefix after REX is not among the legacy prefixes
    public void The_lock_prefix_offset_is_found_among_the_legacy_prefixes(byte[] instruction, int offset) =>
        Assert.That(AlternativesGenerator.LockPrefixOffset(instruction), Is.EqualTo(offset));

    [Test]
    public void The_decoder_sees_the_same_instructions_once_every_site_is_unlocked()
    {
        var function = Function("Kernel_Mixed", TextStart, a =>
        {
            a.db(0x66, 0xF0, 0x83, 0x07, 0x01);
            a.mov(eax, 0xF0F0_F0F0u);
            a.@lock.cmpxchg(__qword_ptr[rdi + 0xF0], rcx);
            a.@lock.add(__dword_ptr.gs[rsi], 0xF0);
            a.@lock.xadd(__dword_ptr[rdi], eax);
            a.ret();
        });
        var result = Generate([function]);
        Assert.That(result.Errors, Is.Empty);
        Assert.That(result.LockSites, Has.Count.EqualTo(4));

        byte[] unlocked = (byte[])function.Code.Clone();
        foreach (var site in result.LockSites) unlocked[site.PrefixAddress - TextStart] = 0x3E;
        var before = Decode(function.Code);
        var after = Decode(unlocked);
        Assert.That(after.Select(i => (i.IP, i.Length, i.Mnemonic)), Is.EqualTo(before.Select(i => (i.IP, i.Length, i.Mnemonic))));
        Assert.That(after.Where(i => i.HasLockPrefix), Is.Empty);
        Assert.That(Generate([function with { Code = unlocked }]).LockSites, Is.Empty, "an unlocked image has nothing left to unlock");
    }

    private static List<Instruction> Decode(byte[] code)
    {
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(code), TextStart);
        var instructions = new List<Instruction>();
        while (decoder.IP < TextStart + (ulong)code.Length) instructions.Add(decoder.Decode());
        return instructions;
    }

    [Test]
    public void A_site_with_two_lock_prefixes_is_reported()
    {
        var result = Generate([Function("Kernel_Twice", TextStart, a => { a.db(0xF0, 0xF0, 0xFF, 0x07); a.ret(); })]);
        Assert.That(result.Errors, Is.EqualTo(new[] { "0x101000 Kernel_Twice+0x0: lock inc dword [rdi]: cannot find exactly one 0xF0 byte among its prefixes" }));
        Assert.That(result.LockSites, Is.Empty);
    }

    [Test]
    public void Code_that_does_not_decode_is_reported_not_guessed()
    {
        var result = Generate([Function("cpu_data", TextStart, a => { a.nop(); a.db(0xF0, 0x8B, 0x07); a.ret(); })]);   // lock mov: invalid
        Assert.That(result.Errors, Has.One.StartWith("0x101001 cpu_data+0x1: cannot decode the instruction here"));
    }

    [Test]
    public void A_stale_keep_locked_entry_fails()
    {
        var result = Generate([TicketLock("Kernel_A", TextStart), Function("cpu_plain", TextStart + 0x40, a => a.ret())],
                              keepLocked: "Kernel_Gone   # was removed\ncpu_plain  # never locked anything\n");
        Assert.That(result.Errors, Is.EqualTo(new[]
        {
            "keep-locked.txt(1): Kernel_Gone is not a function in the image: remove the stale entry",
            "keep-locked.txt(2): cpu_plain has no locked instruction left to keep: remove the stale entry",
        }));
    }

    [Test]
    public void Keep_locked_entries_need_one_symbol_and_a_reason()
    {
        var list = KeepLockedList.Parse("  # header\n\nKernel_A\nKernel_B # ok\nKernel_B # again\ntwo words # no\n", "k.txt");
        Assert.That(list.Entries.Select(e => (e.Symbol, e.Reason)), Is.EqualTo(new[] { ("Kernel_B", "ok") }));
        Assert.That(list.Problems, Is.EqualTo(new[]
        {
            "k.txt(3): Kernel_A needs a reason (write `Kernel_A  # why it stays locked on one CPU`)",
            "k.txt(5): Kernel_B is listed twice",
            "k.txt(6): 'two words' is not one symbol (write `symbol  # reason`)",
        }));
    }

    [Test]
    public void More_sites_than_the_table_holds_fail()
    {
        var result = Generate([TicketLock("Kernel_A", TextStart), TicketLock("Kernel_B", TextStart + 0x40)], capacity: 3);
        Assert.That(result.Errors, Is.EqualTo(new[] { "4 lock sites do not fit the table's 3 slots: raise AlternativesLayout.MaxLockSites" }));
    }

    [Test]
    public void Overlapping_or_misplaced_replacement_records_fail()
    {
        var function = Function("cpu_nops", TextStart, a => { for (int i = 0; i < 32; i++) a.nop(); });
        var result = Generate([function],
        [
            new ReplacementRange(TextStart + 8, 8, AltKind.Feature, AltFeature.Sse2),
            new ReplacementRange(TextStart, 9, AltKind.UpSequence, AltFeature.None),
            new ReplacementRange(TextStart + 20, 0, AltKind.Feature, AltFeature.X2Apic),
            new ReplacementRange(TextStart + 24, 17, AltKind.Feature, AltFeature.X2Apic),
            new ReplacementRange(TextEnd - 2, 4, AltKind.UpSequence, AltFeature.None),
            new ReplacementRange(TextStart - 0x100, 4, 7, AltFeature.None),
        ]);
        Assert.That(result.Errors, Is.EqualTo(new[]
        {
            "replacement record for 0x100f00: the site lies outside .text (0x101000..0x110000)",
            "replacement record for 0x100f00: kind 7 is neither AltKind.UpSequence nor AltKind.Feature",
            "replacement record for 0x101008: overlaps the record for 0x101000 (9 bytes)",
            "replacement record for 0x101014: length 0 is not 1..16",
            "replacement record for 0x101018: length 17 is not 1..16",
            "replacement record for 0x10fffe: the site lies outside .text (0x101000..0x110000)",
        }));
    }

    [Test]
    public void A_replacement_site_must_start_and_end_on_instruction_boundaries()
    {
        var result = Generate([TicketLock("lock_take_ticket", TextStart)], [new ReplacementRange(TextStart + 2, 7, AltKind.UpSequence, AltFeature.None)]);
        Assert.That(result.Errors, Has.One.EqualTo("0x101000 lock_take_ticket+0x0: mov eax,1 straddles the edge of a replacement site: the record and the code disagree on instruction boundaries"));
    }
}

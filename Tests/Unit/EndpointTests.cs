using Kernel.Proc;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>
/// Endpoint: slot + generation × Slots, the special endpoints, and generation reuse, for table sizes a boot chooses
/// (64 + 4 per CPU: for 1, 64, 288 and 1024 CPUs) and the old fixed 64.
/// </summary>
[TestFixture(64)]
[TestFixture(68)]
[TestFixture(320)]
[TestFixture(1216)]
[TestFixture(4160)]
[NonParallelizable]   // the table size is static, as the kernel's is
public class EndpointTests(int slots)
{
    private int[] Generations => new[] { 0, 1, 2, 1000, Endpoint.MaxGeneration - 1, Endpoint.MaxGeneration };

    [SetUp]
    public void SizeTable() => Endpoint.SizeTable(slots);

    [Test]
    public void Generations_use_the_int_range_the_slot_count_leaves()
    {
        Assert.That(Endpoint.Make(0, 1), Is.EqualTo(slots));
        Assert.That((long)Endpoint.MaxGeneration * slots + slots - 1, Is.LessThanOrEqualTo(int.MaxValue), "the last generation fits");
        Assert.That((long)(Endpoint.MaxGeneration + 2) * slots, Is.GreaterThan(int.MaxValue), "at most one generation more would fit");
    }

    [Test]
    public void Slot_and_generation_round_trip()
    {
        foreach (int generation in Generations)
            for (int slot = 0; slot < Endpoint.Slots; slot++)
            {
                int endpoint = Endpoint.Make(slot, generation);
                Assert.That(Endpoint.SlotOf(endpoint), Is.EqualTo(slot));
                Assert.That(Endpoint.GenerationOf(endpoint), Is.EqualTo(generation));
                Assert.That(Endpoint.IsProcess(endpoint), Is.True, $"slot {slot} generation {generation}");
            }
    }

    [Test]
    public void Largest_endpoint_does_not_overflow()
    {
        int endpoint = Endpoint.Make(Endpoint.Slots - 1, Endpoint.MaxGeneration);
        Assert.That(endpoint, Is.GreaterThan(0));
        Assert.That(Endpoint.GenerationOf(endpoint), Is.EqualTo(Endpoint.MaxGeneration));
    }

    [TestCase(Endpoint.Any)]
    [TestCase(Endpoint.None)]
    [TestCase(int.MinValue)]
    [TestCase(int.MaxValue)]   // generation MaxGeneration + 1: never handed out
    public void Special_and_out_of_range_values_are_not_processes(int endpoint) =>
        Assert.That(Endpoint.IsProcess(endpoint), Is.False);

    [Test]
    public void No_generation_past_the_last_is_a_process()
    {
        Assert.That(Endpoint.IsProcess(Endpoint.Make(0, Endpoint.MaxGeneration + 1)), Is.False);
        Assert.That(Endpoint.IsProcess(Endpoint.Make(0, Endpoint.MaxGeneration + 1) - 1), Is.True);
    }

    [Test]
    public void Specials_differ_from_each_other_and_from_every_process()
    {
        Assert.That(Endpoint.Any, Is.Not.EqualTo(Endpoint.None));
        Assert.That(Endpoint.Make(0, 0), Is.Not.EqualTo(Endpoint.Any).And.Not.EqualTo(Endpoint.None));
    }

    private const int Last = -1, NextToLast = -2;   // the last slot or generation of the fixture's table, and the one before

    [TestCase(0, 0)]
    [TestCase(5, 1)]
    [TestCase(63, 41)]
    [TestCase(Last, 41)]
    [TestCase(17, NextToLast)]
    [TestCase(Last, Last)]   // wraps to generation 1
    public void A_stale_endpoint_does_not_name_the_slots_new_owner(int slot, int generation)
    {
        if (slot == Last) slot = Endpoint.Slots - 1;
        if (generation < 0) generation = Endpoint.MaxGeneration + 1 + generation;
        int stale = Endpoint.Make(slot, generation);
        int current = Endpoint.Make(slot, Endpoint.NextGeneration(generation));
        Assert.That(current, Is.Not.EqualTo(stale));
        Assert.That(Endpoint.SlotOf(current), Is.EqualTo(Endpoint.SlotOf(stale)));
    }

    [Test]
    public void Endpoints_are_unique_across_slots_and_generations()
    {
        var seen = new HashSet<int>();
        foreach (int generation in Generations)
            for (int slot = 0; slot < Endpoint.Slots; slot++)
                Assert.That(seen.Add(Endpoint.Make(slot, generation)), Is.True);
    }

    [Test]
    public void Next_generation_counts_up_then_wraps_to_one()
    {
        Assert.That(Endpoint.NextGeneration(0), Is.EqualTo(1));
        Assert.That(Endpoint.NextGeneration(1), Is.EqualTo(2));
        Assert.That(Endpoint.NextGeneration(Endpoint.MaxGeneration - 1), Is.EqualTo(Endpoint.MaxGeneration));
        Assert.That(Endpoint.NextGeneration(Endpoint.MaxGeneration), Is.EqualTo(1));
    }
}

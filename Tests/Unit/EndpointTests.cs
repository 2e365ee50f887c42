using Kernel.Proc;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>Endpoint: slot + generation × Slots, the special endpoints, and generation reuse.</summary>
public class EndpointTests
{
    private static readonly int[] Generations = { 0, 1, 2, 1000, Endpoint.MaxGeneration - 1, Endpoint.MaxGeneration };

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
    public void Specials_differ_from_each_other_and_from_every_process()
    {
        Assert.That(Endpoint.Any, Is.Not.EqualTo(Endpoint.None));
        Assert.That(Endpoint.Make(0, 0), Is.Not.EqualTo(Endpoint.Any).And.Not.EqualTo(Endpoint.None));
    }

    [TestCase(0, 0)]
    [TestCase(5, 1)]
    [TestCase(63, 41)]
    [TestCase(17, Endpoint.MaxGeneration - 1)]
    public void A_stale_endpoint_does_not_name_the_slots_new_owner(int slot, int generation)
    {
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

using Kernel.Proc;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>
/// SlotSet, a process's pending notifications: one member per slot however often added, the lowest slot first,
/// removal of one slot (a notifier that died), and a randomized check against a sorted set, on tables of one word,
/// a part word and many words.
/// </summary>
public class SlotSetTests
{
    [Test]
    public void Empty_set()
    {
        var set = new SlotSet(320);
        Assert.That(set.Count, Is.Zero);
        Assert.That(set.Lowest, Is.EqualTo(-1));
        Assert.That(set.Contains(0), Is.False);
        Assert.That(set.Remove(7), Is.False);
    }

    [Test]
    public void Adding_a_member_again_keeps_one()
    {
        var set = new SlotSet(320);
        set.Add(200);
        set.Add(200);
        Assert.That(set.Count, Is.EqualTo(1));
        Assert.That(set.Remove(200), Is.True);
        Assert.That(set.Remove(200), Is.False);
        Assert.That(set.Count, Is.Zero);
    }

    [TestCase(64)]
    [TestCase(68)]
    [TestCase(4160)]
    public void Lowest_first_across_words(int slots)
    {
        var set = new SlotSet(slots);
        int[] members = { slots - 1, 65 % slots, 3, 64 % slots, 0 };
        foreach (int slot in members) set.Add(slot);
        var taken = new List<int>();
        for (int slot; (slot = set.Lowest) >= 0;)
        {
            Assert.That(set.Remove(slot), Is.True);
            taken.Add(slot);
        }
        Assert.That(taken, Is.EqualTo(members.Distinct().Order()));
    }

    [Test]
    public void Removing_one_slot_leaves_the_others()
    {
        var set = new SlotSet(1216);
        foreach (int slot in new[] { 5, 700, 1215 }) set.Add(slot);
        Assert.That(set.Remove(700), Is.True);
        Assert.That(set.Contains(700), Is.False);
        Assert.That(set.Contains(5) && set.Contains(1215), Is.True);
        Assert.That(set.Count, Is.EqualTo(2));
    }

    [Test]
    public void Clear_empties_every_word()
    {
        var set = new SlotSet(4160);
        foreach (int slot in new[] { 1, 63, 64, 2000, 4159 }) set.Add(slot);
        set.Clear();
        Assert.That(set.Count, Is.Zero);
        Assert.That(set.Lowest, Is.EqualTo(-1));
        for (int slot = 0; slot < 4160; slot++) Assert.That(set.Contains(slot), Is.False, $"slot {slot}");
        set.Add(4159);
        Assert.That(set.Lowest, Is.EqualTo(4159));
    }

    [TestCase(64)]
    [TestCase(100)]
    [TestCase(1216)]
    public void Matches_a_sorted_set_over_random_operations(int slots)
    {
        var random = new Random(20240612 + slots);
        var set = new SlotSet(slots);
        var model = new SortedSet<int>();
        for (int step = 0; step < 20_000; step++)
        {
            int slot = random.Next(slots);
            switch (random.Next(5))
            {
                case 0:
                case 1:
                    set.Add(slot);
                    model.Add(slot);
                    break;
                case 2:
                    Assert.That(set.Remove(slot), Is.EqualTo(model.Remove(slot)), $"step {step}: remove {slot}");
                    break;
                case 3:
                {
                    int expected = model.Count == 0 ? -1 : model.Min;
                    Assert.That(set.Lowest, Is.EqualTo(expected), $"step {step}: lowest");
                    if (expected >= 0) { set.Remove(expected); model.Remove(expected); }
                    break;
                }
                case 4 when random.Next(100) == 0:
                    set.Clear();
                    model.Clear();
                    break;
            }
            Assert.That(set.Count, Is.EqualTo(model.Count), $"step {step}: count");
            Assert.That(set.Contains(slot), Is.EqualTo(model.Contains(slot)), $"step {step}: contains {slot}");
        }
    }
}

using Kernel.Proc;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>
/// RunQueue: highest priority first, FIFO within a level, removal, a randomized model check, and several queues
/// linking their members through one shared array, as every CPU's queue does in the kernel.
/// </summary>
public class RunQueueTests
{
    private const int Slots = 64;

    private static RunQueue NewQueue() => new(new int[Slots]);

    private static List<int> Level(RunQueue queue, int priority)
    {
        var slots = new List<int>();
        for (int at = queue.First(priority); at != -1; at = queue.Next(at))
        {
            slots.Add(at);
            if (slots.Count > Slots) Assert.Fail($"priority {priority}: the level's list does not end");
        }
        return slots;
    }

    private static List<int> DrainAll(RunQueue queue)
    {
        var slots = new List<int>();
        for (int slot; (slot = queue.Dequeue()) != -1;) slots.Add(slot);
        return slots;
    }

    [Test]
    public void Empty_queue()
    {
        var queue = NewQueue();
        Assert.That(queue.Dequeue(), Is.EqualTo(-1));
        Assert.That(queue.Count, Is.Zero);
        Assert.That(queue.HighestPriority, Is.EqualTo(RunQueue.Priorities));
        for (int priority = 0; priority < RunQueue.Priorities; priority++)
        {
            Assert.That(queue.First(priority), Is.EqualTo(-1));
            Assert.That(queue.LengthAt(priority), Is.Zero);
        }
    }

    [Test]
    public void Fifo_within_a_priority()
    {
        var queue = NewQueue();
        foreach (int slot in new[] { 5, 3, 9, 0 }) queue.Enqueue(slot, 4);
        Assert.That(Level(queue, 4), Is.EqualTo(new[] { 5, 3, 9, 0 }));
        Assert.That(DrainAll(queue), Is.EqualTo(new[] { 5, 3, 9, 0 }));
        Assert.That(queue.HighestPriority, Is.EqualTo(RunQueue.Priorities));
    }

    [Test]
    public void Highest_priority_first_when_interleaved()
    {
        var queue = NewQueue();
        queue.Enqueue(1, 7);
        queue.Enqueue(2, 3);
        queue.Enqueue(3, 0);
        queue.Enqueue(4, 3);
        queue.Enqueue(5, 7);
        queue.Enqueue(6, 0);
        Assert.That(queue.HighestPriority, Is.EqualTo(0));
        Assert.That(queue.Dequeue(), Is.EqualTo(3));
        Assert.That(queue.Dequeue(), Is.EqualTo(6));
        Assert.That(queue.HighestPriority, Is.EqualTo(3));
        queue.Enqueue(7, 1);   // arrives later but outranks what is left
        Assert.That(DrainAll(queue), Is.EqualTo(new[] { 7, 2, 4, 1, 5 }));
    }

    [Test]
    public void Enqueue_front_goes_before_the_level_but_not_before_higher_ones()
    {
        var queue = NewQueue();
        queue.EnqueueFront(1, 2);   // into an empty level: head and tail
        queue.Enqueue(2, 2);
        queue.EnqueueFront(3, 2);
        queue.Enqueue(4, 1);
        Assert.That(Level(queue, 2), Is.EqualTo(new[] { 3, 1, 2 }));
        Assert.That(DrainAll(queue), Is.EqualTo(new[] { 4, 3, 1, 2 }));
    }

    [TestCase(10, new[] { 11, 12, 13 })]   // head
    [TestCase(12, new[] { 10, 11, 13 })]   // middle
    [TestCase(13, new[] { 10, 11, 12 })]   // tail
    public void Remove_keeps_the_rest_in_order(int removed, int[] rest)
    {
        var queue = NewQueue();
        foreach (int slot in new[] { 10, 11, 12, 13 }) queue.Enqueue(slot, 5);
        Assert.That(queue.Remove(removed, 5), Is.True);
        Assert.That(Level(queue, 5), Is.EqualTo(rest));
        Assert.That(queue.LengthAt(5), Is.EqualTo(3));
        Assert.That(queue.Count, Is.EqualTo(3));
    }

    [Test]
    public void Remove_of_an_absent_slot_or_at_the_wrong_priority_fails()
    {
        var queue = NewQueue();
        queue.Enqueue(1, 2);
        Assert.That(queue.Remove(9, 2), Is.False);
        Assert.That(queue.Remove(1, 3), Is.False);
        Assert.That(queue.Remove(1, 6), Is.False);   // an empty level
        Assert.That(queue.Count, Is.EqualTo(1));
        Assert.That(queue.Remove(1, 2), Is.True);
        Assert.That(queue.Remove(1, 2), Is.False);
        Assert.That(queue.Count, Is.Zero);
        Assert.That(queue.HighestPriority, Is.EqualTo(RunQueue.Priorities));
    }

    [Test]
    public void Enqueue_after_removing_the_tail_appends_after_the_new_tail()
    {
        var queue = NewQueue();
        queue.Enqueue(1, 0);
        queue.Enqueue(2, 0);
        queue.Enqueue(3, 0);
        queue.Remove(3, 0);
        queue.Enqueue(4, 0);
        queue.Enqueue(3, 0);
        Assert.That(Level(queue, 0), Is.EqualTo(new[] { 1, 2, 4, 3 }));
        Assert.That(DrainAll(queue), Is.EqualTo(new[] { 1, 2, 4, 3 }));
    }

    [Test]
    public void Removing_the_only_member_empties_the_level()
    {
        var queue = NewQueue();
        queue.Enqueue(7, 4);
        queue.Enqueue(8, 6);
        Assert.That(queue.Remove(7, 4), Is.True);
        Assert.That(queue.First(4), Is.EqualTo(-1));
        Assert.That(queue.HighestPriority, Is.EqualTo(6));
        queue.Enqueue(9, 4);
        queue.EnqueueFront(7, 4);
        Assert.That(Level(queue, 4), Is.EqualTo(new[] { 7, 9 }));
    }

    [Test]
    public void Count_and_lengths_follow_a_mix_of_operations()
    {
        var queue = NewQueue();
        for (int slot = 0; slot < 12; slot++) queue.Enqueue(slot, slot % 3);
        queue.EnqueueFront(20, 2);
        Assert.That(queue.Count, Is.EqualTo(13));
        Assert.That(queue.LengthAt(2), Is.EqualTo(5));
        queue.Dequeue();
        queue.Dequeue();
        queue.Remove(5, 2);
        queue.Remove(4, 1);
        Assert.That(queue.Count, Is.EqualTo(9));
        Assert.That(new[] { queue.LengthAt(0), queue.LengthAt(1), queue.LengthAt(2) }, Is.EqualTo(new[] { 2, 3, 4 }));
        Assert.That(queue.HighestPriority, Is.EqualTo(0));
    }

    [Test]
    public void Matches_a_list_per_priority_over_random_operations()
    {
        var random = new Random(20240611);
        var queue = NewQueue();
        var model = Enumerable.Range(0, RunQueue.Priorities).Select(_ => new List<int>()).ToArray();
        var priorityOf = Enumerable.Repeat(-1, Slots).ToArray();

        for (int step = 0; step < 10_000; step++)
        {
            int slot = random.Next(Slots);
            int priority = random.Next(RunQueue.Priorities);
            switch (random.Next(4))
            {
                case 0 when priorityOf[slot] < 0:
                    queue.Enqueue(slot, priority);
                    model[priority].Add(slot);
                    priorityOf[slot] = priority;
                    break;
                case 1 when priorityOf[slot] < 0:
                    queue.EnqueueFront(slot, priority);
                    model[priority].Insert(0, slot);
                    priorityOf[slot] = priority;
                    break;
                case 2:
                {
                    var level = model.FirstOrDefault(l => l.Count > 0);
                    int expected = level?[0] ?? -1;
                    if (level != null) { level.RemoveAt(0); priorityOf[expected] = -1; }
                    Assert.That(queue.Dequeue(), Is.EqualTo(expected), $"step {step}: dequeue");
                    break;
                }
                case 3:
                {
                    if (priorityOf[slot] >= 0 && random.Next(2) == 0) priority = priorityOf[slot];
                    bool present = model[priority].Remove(slot);
                    if (present) priorityOf[slot] = -1;
                    Assert.That(queue.Remove(slot, priority), Is.EqualTo(present), $"step {step}: remove {slot} at {priority}");
                    break;
                }
            }

            Assert.That(queue.Count, Is.EqualTo(model.Sum(l => l.Count)), $"step {step}: count");
            int highest = Array.FindIndex(model, l => l.Count > 0);
            Assert.That(queue.HighestPriority, Is.EqualTo(highest < 0 ? RunQueue.Priorities : highest), $"step {step}: highest");
            for (int p = 0; p < RunQueue.Priorities; p++)
            {
                Assert.That(queue.LengthAt(p), Is.EqualTo(model[p].Count), $"step {step}: length at {p}");
                Assert.That(Level(queue, p), Is.EqualTo(model[p]), $"step {step}: level {p}");
            }
        }
    }

    [Test]
    public void Queues_sharing_links_keep_their_own_members()
    {
        var links = new int[Slots];
        var a = new RunQueue(links);
        var b = new RunQueue(links);
        foreach (int slot in new[] { 1, 2, 3 }) a.Enqueue(slot, 4);
        foreach (int slot in new[] { 4, 5, 6 }) b.Enqueue(slot, 4);
        b.EnqueueFront(7, 4);
        Assert.That(a.Remove(5, 4), Is.False, "a slot in another queue is not this queue's");
        Assert.That(b.Remove(5, 4), Is.True);
        Assert.That(Level(a, 4), Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That(Level(b, 4), Is.EqualTo(new[] { 7, 4, 6 }));

        Assert.That(a.Dequeue(), Is.EqualTo(1));
        b.Enqueue(1, 4);   // stolen: what a's links said about it no longer matters
        Assert.That(Level(a, 4), Is.EqualTo(new[] { 2, 3 }));
        Assert.That(Level(b, 4), Is.EqualTo(new[] { 7, 4, 6, 1 }));
    }

    [Test]
    public void Queues_sharing_links_match_a_list_per_queue_over_random_operations()
    {
        const int queues = 4;
        var random = new Random(20250101);
        var links = new int[Slots];
        var queue = Enumerable.Range(0, queues).Select(_ => new RunQueue(links)).ToArray();
        var model = Enumerable.Range(0, queues).Select(_ => Enumerable.Range(0, RunQueue.Priorities).Select(_ => new List<int>()).ToArray()).ToArray();
        var where = Enumerable.Repeat((Queue: -1, Priority: -1), Slots).ToArray();

        for (int step = 0; step < 20_000; step++)
        {
            int slot = random.Next(Slots);
            int q = random.Next(queues);
            int priority = random.Next(RunQueue.Priorities);
            switch (random.Next(4))
            {
                case 0 when where[slot].Queue < 0:
                    queue[q].Enqueue(slot, priority);
                    model[q][priority].Add(slot);
                    where[slot] = (q, priority);
                    break;
                case 1 when where[slot].Queue < 0:
                    queue[q].EnqueueFront(slot, priority);
                    model[q][priority].Insert(0, slot);
                    where[slot] = (q, priority);
                    break;
                case 2:
                {
                    var level = model[q].FirstOrDefault(l => l.Count > 0);
                    int expected = level?[0] ?? -1;
                    if (level != null) { level.RemoveAt(0); where[expected] = (-1, -1); }
                    Assert.That(queue[q].Dequeue(), Is.EqualTo(expected), $"step {step}: dequeue from {q}");
                    break;
                }
                case 3:
                {
                    if (where[slot].Queue >= 0 && random.Next(2) == 0) priority = where[slot].Priority;   // often the right level, maybe the wrong queue
                    bool present = model[q][priority].Remove(slot);
                    if (present) where[slot] = (-1, -1);
                    Assert.That(queue[q].Remove(slot, priority), Is.EqualTo(present), $"step {step}: remove {slot} at {priority} from {q}");
                    break;
                }
            }

            for (int i = 0; i < queues; i++)
            {
                Assert.That(queue[i].Count, Is.EqualTo(model[i].Sum(l => l.Count)), $"step {step}: queue {i}'s count");
                for (int p = 0; p < RunQueue.Priorities; p++)
                    Assert.That(Level(queue[i], p), Is.EqualTo(model[i][p]), $"step {step}: queue {i}, level {p}");
            }
        }
    }
}

using Kernel.Proc;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>DeadlockCheck.WouldDeadlock: following the waits-for chain from the partner back to the caller.</summary>
public class DeadlockCheckTests
{
    private const int A = 0, B = 1, C = 2, D = 3;

    private static int[] Waits(int count, params (int From, int To)[] edges)
    {
        var waitsFor = Enumerable.Repeat(-1, count).ToArray();
        foreach (var (from, to) in edges) waitsFor[from] = to;
        return waitsFor;
    }

    [Test]
    public void Sending_to_yourself_deadlocks() => Assert.That(DeadlockCheck.WouldDeadlock(A, A, Waits(4)), Is.True);

    [Test]
    public void Partner_waiting_on_the_caller_deadlocks() =>
        Assert.That(DeadlockCheck.WouldDeadlock(A, B, Waits(4, (B, A))), Is.True);

    [Test]
    public void Longer_cycle_back_to_the_caller_deadlocks() =>
        Assert.That(DeadlockCheck.WouldDeadlock(A, B, Waits(4, (B, C), (C, A))), Is.True);

    [Test]
    public void Cycle_through_every_slot_is_found()
    {
        const int count = 64;
        var waitsFor = new int[count];
        for (int i = 1; i < count - 1; i++) waitsFor[i] = i + 1;
        waitsFor[count - 1] = 0;   // 1 → 2 → … → 63 → 0
        Assert.That(DeadlockCheck.WouldDeadlock(0, 1, waitsFor), Is.True);
    }

    [Test]
    public void Partner_not_blocked_is_no_deadlock() => Assert.That(DeadlockCheck.WouldDeadlock(A, B, Waits(4)), Is.False);

    [Test]
    public void Chain_ending_in_an_unblocked_process_is_no_deadlock() =>
        Assert.That(DeadlockCheck.WouldDeadlock(A, B, Waits(4, (B, C), (C, D))), Is.False);

    [Test]
    public void Chain_past_the_table_is_no_deadlock()
    {
        Assert.That(DeadlockCheck.WouldDeadlock(A, B, Waits(4, (B, 99))), Is.False);
        Assert.That(DeadlockCheck.WouldDeadlock(A, 99, Waits(4)), Is.False);
    }

    [Test]
    public void Existing_cycle_not_through_the_caller_terminates_with_no_deadlock()
    {
        Assert.That(DeadlockCheck.WouldDeadlock(A, B, Waits(4, (B, C), (C, B))), Is.False);
        Assert.That(DeadlockCheck.WouldDeadlock(A, B, Waits(4, (B, C), (C, D), (D, C))), Is.False);
        Assert.That(DeadlockCheck.WouldDeadlock(A, B, Waits(4, (B, B))), Is.False);
    }

    [Test]
    public void Caller_blocked_elsewhere_does_not_matter_unless_reached() =>
        Assert.That(DeadlockCheck.WouldDeadlock(A, B, Waits(4, (A, D), (B, C))), Is.False);
}

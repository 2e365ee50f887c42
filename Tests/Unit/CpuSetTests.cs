using Kernel.Smp;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>CpuSet: a bit per CPU up to the MaxCpus build setting, across word boundaries.</summary>
public class CpuSetTests
{
    [Test]
    public void Is_as_wide_as_the_build_setting()
    {
        Assert.That(CpuSet.Capacity, Is.EqualTo(BuildConfiguration.MaxCpus));
        Assert.That(CpuSet.FirstN(CpuSet.Capacity).Count, Is.EqualTo(CpuSet.Capacity));
        Assert.That(CpuSet.FirstN(CpuSet.Capacity + 5).Count, Is.EqualTo(CpuSet.Capacity), "capped");
    }

    [TestCase(0)]
    [TestCase(63)]
    [TestCase(64)]
    [TestCase(255)]
    [TestCase(287)]
    public void Members_on_either_side_of_a_word_boundary(int cpu)
    {
        var set = CpuSet.Of(cpu);
        Assert.That((set.Contains(cpu), set.Count, set.Next(0), set.Next(cpu + 1)), Is.EqualTo((true, 1, cpu, -1)));
        set.Remove(cpu);
        Assert.That(set.IsEmpty, Is.True);
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(64)]
    [TestCase(65)]
    [TestCase(288)]
    public void FirstN_holds_exactly_the_first_n(int n)
    {
        var set = CpuSet.FirstN(n);
        Assert.That((set.Count, set.Contains(n - 1), set.Contains(n)), Is.EqualTo((n, n > 0, false)));
    }

    [Test]
    public void Next_walks_the_members_in_order()
    {
        var set = new CpuSet();
        int[] members = [3, 63, 64, 130, 287];
        foreach (var cpu in members) set.Add(cpu);
        var walked = new List<int>();
        for (int cpu = set.Next(0); cpu >= 0; cpu = set.Next(cpu + 1)) walked.Add(cpu);
        Assert.That(walked, Is.EqualTo(members));
    }

    [Test]
    public void Intersection_overlap_and_equality()
    {
        var a = CpuSet.FirstN(100);
        var b = CpuSet.Of(99);
        b.Add(200);
        var both = CpuSet.Intersection(a, b);
        Assert.That((both.Count, both.Contains(99), a.Overlaps(b), both.SetEquals(CpuSet.Of(99))), Is.EqualTo((1, true, true, true)));
        Assert.That(CpuSet.Of(200).Overlaps(a), Is.False);
    }

    [Test]
    public void Out_of_range_cpus_are_never_members()
    {
        var set = new CpuSet();
        set.Add(-1);
        set.Add(CpuSet.Capacity);
        set.Publish(CpuSet.Capacity, member: true);
        Assert.That((set.IsEmpty, set.Contains(-1), set.Contains(CpuSet.Capacity), set.ContainsShared(CpuSet.Capacity)), Is.EqualTo((true, false, false, false)));
    }

    [Test]
    public void Published_members_read_back_shared()
    {
        var set = new CpuSet();
        set.Publish(70, member: true);
        set.Publish(3, member: true);
        set.Publish(3, member: false);
        Assert.That((set.ContainsShared(70), set.ContainsShared(3), set.Count), Is.EqualTo((true, false, 1)));
    }
}

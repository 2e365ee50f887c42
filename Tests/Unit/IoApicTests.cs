using Kernel.Arch;
using NUnit.Framework;

namespace Kernel.Tests.Unit;

/// <summary>Arch.x86/IoApic.cs against a simulated register file: what it writes, in what order.</summary>
public class IoApicTests
{
    const uint RedirectionBase = 0x10, Masked = 1u << 16;

    [Test]
    public void RetargetingWritesOnlyTheDestinationHalfAndNeverMasks()
    {
        var registers = new SimulatedIoApic(0xFEC0_0000);
        var ioApic = new IoApic(2, registers.Base, gsiBase: 0);
        const uint gsi = 9;
        const byte vector = 0x41;
        ioApic.Route(gsi, vector, destinationApicId: 0, activeLow: true, levelTriggered: true, masked: false);
        registers.Writes.Clear();

        Assert.That(ioApic.SetDestination(gsi, 3), Is.True);

        // An edge arriving at a masked pin is dropped (82093AA §3.2.4): a retarget must not mask the entry even briefly.
        Assert.That(registers.Writes, Is.EqualTo(new[] { (RedirectionBase + 2 * gsi + 1, 3u << 24) }));
        Assert.That(ioApic.ReadEntry(gsi) & 0xFFFF_FFFF, Is.EqualTo(vector | 1u << 13 | 1u << 15), "vector, polarity and trigger kept, not masked");
        Assert.That(ioApic.Destination(gsi), Is.EqualTo(3u));
    }

    [Test]
    public void RoutingMasksWhileTheHalvesDisagree()
    {
        var registers = new SimulatedIoApic(0xFEC0_1000);
        var ioApic = new IoApic(3, registers.Base, gsiBase: 24);
        registers.Writes.Clear();

        ioApic.Route(24 + 4, 0x30, destinationApicId: 1, activeLow: false, levelTriggered: false, masked: false);

        var low = RedirectionBase + 2 * 4;
        Assert.That(registers.Writes, Is.EqualTo(new[] { (low, 0x30u | Masked), (low + 1, 1u << 24), (low, 0x30u) }));
    }
}

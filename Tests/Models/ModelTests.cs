using System.Runtime.CompilerServices;
using NUnit.Framework;

namespace Kernel.Tests.Models;

/// <summary>
/// One check of one Promela model: safety (assertions and invalid end states) or the named LTL claim, on the model
/// as written (it must hold) or with a seeded mistake defined (it must be rejected, with <see cref="Rejection"/> in
/// pan's first error line): a model that cannot fail proves nothing.
/// </summary>
public sealed record ModelCheck(string Model, string? Claim = null, string? Seed = null, string Rejection = "")
{
    public override string ToString() => $"{Model} {Claim ?? "safety"}{(Seed is null ? "" : $" with {Seed}")}";
}

/// <summary>The protocol models (Tests/Models/*.pml, each naming the code it mirrors), run by SPIN.</summary>
[Category("Models")]
public class ModelTests
{
    const string InvalidEndState = "invalid end state";
    const string Assertion = "assertion violated";
    const string AcceptanceCycle = "acceptance cycle";

    public static readonly ModelCheck[] Checks =
    [
        new("BigKernelLock"),
        new("BigKernelLock", Claim: "every_waiter_enters"),
        new("BigKernelLock", Seed: "NO_SERVICE_WHILE_WAITING", Rejection: InvalidEndState),
        new("BigKernelLock", Seed: "RELEASE_BEFORE_LEAVING", Rejection: Assertion),
        new("BigKernelLock", Seed: "PLAIN_TICKET", Rejection: Assertion),
        new("BigKernelLock", Claim: "every_waiter_enters", Seed: "TEST_AND_SET", Rejection: AcceptanceCycle),
        new("BigKernelLock", Seed: "INTERRUPTS_OPEN_AT_CHECK", Rejection: InvalidEndState),
        new("BigKernelLock", Claim: "every_waiter_enters", Seed: "INTERRUPTS_OPEN_AT_CHECK", Rejection: AcceptanceCycle),
        new("BigKernelLock", Seed: "PLAIN_RELEASE", Rejection: InvalidEndState),
        new("BigKernelLock", Seed: "KICK_ONLY_NEXT_IN_LINE", Rejection: InvalidEndState),
        new("BigKernelLock", Seed: "CALL_MASKED_IN_HALT", Rejection: InvalidEndState),
        new("CrossCpuCall"),
        new("CrossCpuCall", Claim: "every_request_runs"),
        new("CrossCpuCall", Claim: "every_request_runs", Seed: "NO_ICR_FENCE", Rejection: AcceptanceCycle),
        new("CrossCpuCall", Seed: "SIGNED_SEQUENCE_AS_FLAG", Rejection: Assertion),
        new("CrossCpuCall", Seed: "NO_ICR_FENCE", Rejection: InvalidEndState),
        new("CrossCpuCall", Seed: "NO_WAKE_FENCE", Rejection: InvalidEndState),
        new("CrossCpuCall", Claim: "every_sender_returns"),
        new("CrossCpuCall", Claim: "every_sender_returns", Seed: "NO_WAKE_FENCE", Rejection: AcceptanceCycle),
        new("CrossCpuCall", Seed: "NO_SERVICE_IN_POST", Rejection: InvalidEndState),
        new("CrossCpuCall", Seed: "INIT_MID_REQUEST", Rejection: Assertion),
        new("ApArrival"),
        new("ApArrival", Seed: "INIT_ON_TIMEOUT", Rejection: Assertion),
        new("ApArrival", Seed: "ADOPT_AFTER_ONLINE", Rejection: Assertion),
        new("HeapRelease"),
        new("HeapRelease", Seed: "PREEMPT_IN_HEAP", Rejection: Assertion),
        new("HeapRelease", Seed: "RELEASE_WHILE_RUNNING", Rejection: Assertion),
        new("HotplugGate"),
        new("HotplugGate", Seed: "ROLLBACK_FROM_LAST_SUCCESS", Rejection: Assertion),
        new("HotplugGate", Seed: "ROLLBACK_ONTO_STRAGGLER", Rejection: Assertion),
        new("HotplugGate", Seed: "GATE_ON_ONLINE_COUNT", Rejection: Assertion),
        new("HotplugGate", Seed: "RESTART_WITHOUT_REPORT", Rejection: Assertion),
        new("KernelTaskCollection"),
        new("KernelTaskCollection", Seed: "COLLECT_WITHOUT_LOCK", Rejection: Assertion),
        new("KernelTaskCollection", Seed: "SNAPSHOT_WITHOUT_LOCK", Rejection: Assertion),
        new("KernelThreadStop"),
        new("KernelThreadStop", Seed: "CHECK_OUTSIDE_LOCK", Rejection: Assertion),
        new("KernelThreadStop", Seed: "STOP_ONLY_RUNNING", Rejection: InvalidEndState),
        new("StopMachine"),
        new("StopMachine", Seed: "ACK_BEFORE_FN", Rejection: Assertion),
        new("StopMachine", Seed: "NO_WAIT_FOR_IDLE", Rejection: InvalidEndState),
        new("StopMachine", Seed: "NO_WAKE_FENCE", Rejection: InvalidEndState),
        new("UpTicket"),
        new("UpTicket", Seed: "LOAD_AND_INCREMENT", Rejection: Assertion),
        new("UpTicket", Seed: "LOAD_AND_INCREMENT NO_SWITCH", Rejection: InvalidEndState),
    ];

    static string ModelPath(string model, [CallerFilePath] string thisFile = "") =>
        Path.Combine(Path.GetDirectoryName(thisFile)!, $"{model}.pml");

    [TestCaseSource(nameof(Checks))]
    public void Check(ModelCheck check)
    {
        var result = Spin.Verify(ModelPath(check.Model), check.Seed, check.Claim);
        TestContext.Progress.WriteLine($"{check}: {result.Summary}");
        Assert.That(result.Complete, Is.True, $"the search ran out of depth:\n{result.Output}");
        if (check.Seed is null)
            Assert.That(result.Errors, Is.Zero, $"{check} does not hold: {result.FirstError}\n{result.Output}");
        else
            Assert.That(result.FirstError, Does.Contain(check.Rejection), $"the seeded mistake {check.Seed} was not rejected as expected:\n{result.Output}");
    }
}

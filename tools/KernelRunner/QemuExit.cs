namespace KernelRunner;

/// <summary>What a QEMU run's end means under the kernel's isa-debug-exit contract.</summary>
public enum QemuExitKind
{
    /// <summary>Guest wrote 0 to port 0xf4 → status 1.</summary>
    AllTestsPassed,

    /// <summary>Guest wrote 1 → status 3.</summary>
    TestsFailed,

    /// <summary>Guest wrote 2 → status 5.</summary>
    Panic,

    /// <summary>Guest wrote 3 → status 7: ACPI power-off did not end QEMU, the kernel's fallback did.</summary>
    PowerOffFallback,

    /// <summary>Status 0: QEMU was told to quit, the guest powered off (ACPI S5), or it reset or triple-faulted (-no-reboot turns a reset into an exit).</summary>
    QuitOrTripleFault,

    /// <summary>The run hit its time-out and was killed: the guest hung.</summary>
    TimedOut,

    /// <summary>Status 1 with no serial output and a message on stderr: QEMU refused its command line.</summary>
    StartupError,

    /// <summary>Any other status: a guest exit value outside the contract, or QEMU killed by a signal.</summary>
    Unexpected,
}

/// <summary>A QEMU exit status together with its meaning.</summary>
public readonly record struct QemuExit(QemuExitKind Kind, int? Status)
{
    /// <summary>
    /// isa-debug-exit makes QEMU exit with (value &lt;&lt; 1) | 1, so odd statuses carry a guest value and
    /// 0 is QEMU's own exit.
    /// </summary>
    public static QemuExit FromStatus(int status) => new(status switch
    {
        0 => QemuExitKind.QuitOrTripleFault,
        1 => QemuExitKind.AllTestsPassed,
        3 => QemuExitKind.TestsFailed,
        5 => QemuExitKind.Panic,
        7 => QemuExitKind.PowerOffFallback,
        _ => QemuExitKind.Unexpected,
    }, status);

    public static QemuExit TimedOut => new(QemuExitKind.TimedOut, null);

    public static QemuExit StartupError => new(QemuExitKind.StartupError, 1);

    public bool IsCleanSelfTestRun => Kind is QemuExitKind.AllTestsPassed or QemuExitKind.TestsFailed;

    public string Description => Kind switch
    {
        QemuExitKind.AllTestsPassed => "status 1: guest exit value 0, all self-tests passed",
        QemuExitKind.TestsFailed => "status 3: guest exit value 1, some self-test failed",
        QemuExitKind.Panic => "status 5: guest exit value 2, kernel panic",
        QemuExitKind.PowerOffFallback => "status 7: guest exit value 3, ACPI power-off failed and the kernel fell back to isa-debug-exit",
        QemuExitKind.QuitOrTripleFault => "status 0: QEMU quit normally, or the guest powered off, reset or triple-faulted (-no-reboot)",
        QemuExitKind.TimedOut => "timed out: the guest hung and QEMU was killed",
        QemuExitKind.StartupError => "status 1 without any serial output: QEMU failed to start (see its stderr)",
        _ when Status is { } status && (status & 1) == 1 =>
            $"status {status}: guest exit value {status >> 1}, not part of the kernel's exit contract",
        _ => $"status {Status}: not a guest exit (QEMU error or killed by a signal)",
    };

    public override string ToString() => Description;
}

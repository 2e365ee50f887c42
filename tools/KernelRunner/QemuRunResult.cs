namespace KernelRunner;

/// <summary>Everything a captured QEMU run produced.</summary>
public sealed record QemuRunResult
{
    public required QemuExit Exit { get; init; }

    public required string CommandLine { get; init; }

    /// <summary>COM1 output, verbatim (firmware escape sequences included).</summary>
    public required string Serial { get; init; }

    public required string Stderr { get; init; }

    public required TimeSpan Elapsed { get; init; }

    public TimeSpan? TimeToFirstSerialByte { get; init; }

    /// <summary>Until the line holding <see cref="QemuRunner.FirstKernelLogMarker"/> arrived.</summary>
    public TimeSpan? TimeToFirstKernelLogLine { get; init; }

    public bool TimedOut => Exit.Kind == QemuExitKind.TimedOut;

    /// <summary>The serial output's last lines, for failure messages.</summary>
    public string SerialTail(int lineCount = 25)
    {
        var lines = Serial.Replace("\r\n", "\n").TrimEnd('\n').Split('\n');
        return string.Join('\n', lines.TakeLast(lineCount));
    }
}

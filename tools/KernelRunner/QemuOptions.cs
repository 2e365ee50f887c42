namespace KernelRunner;

/// <summary>One way of booting the kernel ISO; <see cref="QemuCommand"/> turns it into a QEMU command line.</summary>
public sealed record QemuOptions
{
    /// <summary>QEMU's -smp value as is: "4", or a topology such as "8,sockets=2,cores=2,threads=2".</summary>
    public string Smp { get; init; } = "1";

    /// <summary>"q35" or "pc".</summary>
    public string Machine { get; init; } = "q35";

    /// <summary>QEMU's -cpu model: "qemu64" (TCG's default), "Haswell", "EPYC", ... TCG drops the features it cannot emulate, with a warning on stderr.</summary>
    public string Cpu { get; init; } = "qemu64";

    /// <summary>False: the machine has no i8254 PIT (-machine ...,pit=off), like modern hardware without a legacy timer.</summary>
    public bool Pit { get; init; } = true;

    /// <summary>False: no serial port at all (-serial none); a captured run then sees no output, only the exit status.</summary>
    public bool SerialPort { get; init; } = true;

    /// <summary>Boot through OVMF instead of SeaBIOS.</summary>
    public bool Uefi { get; init; }

    public string Memory { get; init; } = "256M";

    /// <summary>Kernel options, handed to the kernel through fw_cfg (opt/kernel/cmdline). Empty means none.</summary>
    public string KernelCmdline { get; init; } = "";

    /// <summary>Start halted with a gdb stub on localhost:1234.</summary>
    public bool Gdb { get; init; }

    /// <summary>Where QEMU listens for QMP (a unix socket it creates), or null for no QMP.</summary>
    public string? QmpSocketPath { get; init; }

    /// <summary>How long QMP may take to answer: its greeting, and each command. QEMU's main loop competes with every vCPU thread for the host.</summary>
    public TimeSpan QmpTimeout { get; init; } = QmpClient.DefaultTimeout;

    /// <summary>A captured session keeps QEMU's stdin, which is COM1's input, open for <see cref="QemuSession.Type"/>.</summary>
    public bool SerialInput { get; init; }

    /// <summary>Appended to the command line verbatim, after everything else.</summary>
    public IReadOnlyList<string> ExtraArgs { get; init; } = [];

    public required string IsoPath { get; init; }

    /// <summary>How long a captured run may take before it counts as a hang; a <see cref="QemuSession"/> is killed after it.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(180);
}

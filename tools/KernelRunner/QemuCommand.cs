namespace KernelRunner;

/// <summary>Where the guest's COM1 goes.</summary>
public enum QemuMode
{
    /// <summary>COM1 and the QEMU monitor share the terminal (Ctrl-A X quits, Ctrl-A C toggles the monitor).</summary>
    Interactive,

    /// <summary>COM1 goes to QEMU's stdout so the caller can read it as it arrives.</summary>
    Captured,
}

/// <summary>Builds the QEMU argument vector for <see cref="QemuOptions"/>: the single definition of how the kernel boots.</summary>
public static class QemuCommand
{
    public const string KernelCmdlineFwCfgName = "opt/kernel/cmdline";

    /// <summary>The full argv, starting with the executable name.</summary>
    public static IReadOnlyList<string> Build(QemuOptions options, QemuMode mode)
    {
        var args = new List<string>
        {
            HostPrerequisites.QemuExecutable,
            "-machine", options.Pit ? options.Machine : $"{options.Machine},pit=off",
            "-accel", "tcg", // KVM does not work on these hosts (nested virtualisation)
            "-cpu", options.Cpu,
            "-smp", options.Smp,
            "-m", options.Memory,
            "-display", "none",
            "-no-reboot", // a triple fault then ends QEMU with status 0 instead of rebooting forever
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-cdrom", options.IsoPath,
        };
        if (options.Uefi)
            args.AddRange(HostPrerequisites.OvmfArgs());
        args.AddRange((mode, options.SerialPort) switch
        {
            (QemuMode.Interactive, true) => ["-serial", "mon:stdio"],
            (QemuMode.Interactive, false) => ["-serial", "none", "-monitor", "stdio"],
            (QemuMode.Captured, true) => ["-serial", "stdio", "-monitor", "none"],
            _ => ["-serial", "none", "-monitor", "none"],
        });
        if (options.KernelCmdline.Length > 0)
            args.AddRange(["-fw_cfg", $"name={KernelCmdlineFwCfgName},string={EscapeOptionValue(options.KernelCmdline)}"]);
        if (options.QmpSocketPath is { } qmpSocket)
            args.AddRange(["-qmp", $"unix:{EscapeOptionValue(qmpSocket)},server=on,wait=off"]);
        if (options.Gdb)
            args.AddRange(["-s", "-S"]);
        args.AddRange(options.ExtraArgs);
        return args;
    }

    /// <summary>QEMU splits option values at commas; a literal comma is written twice.</summary>
    public static string EscapeOptionValue(string value) => value.Replace(",", ",,");

    /// <summary>The argv as one line a POSIX shell accepts, for printing.</summary>
    public static string ToShellLine(IEnumerable<string> argv) => string.Join(' ', argv.Select(ShellQuote));

    static string ShellQuote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c))
            ? arg
            : "'" + arg.Replace("'", "'\\''") + "'";
}

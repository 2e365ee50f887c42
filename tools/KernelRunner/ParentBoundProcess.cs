using System.Collections.Concurrent;
using System.Diagnostics;

namespace KernelRunner;

/// <summary>
/// Starts a child that the kernel ends when this process dies, however it dies (SIGKILL included, which no handler
/// sees). The child runs under <c>setpriv --pdeathsig KILL</c> (util-linux), which sets PR_SET_PDEATHSIG and then
/// execs it, so its PID is the child's own. Linux sends that signal when the *thread* that forked the child exits
/// (prctl(2)), not the process: every child is therefore forked by one launcher thread that lives as long as the
/// process. QEMU's own <c>-run-with exit-with-parent=on</c> does the same, but Debian's QEMU 10.0 build lacks it.
/// </summary>
public static class ParentBoundProcess
{
    public const string Launcher = "setpriv";

    static readonly BlockingCollection<(ProcessStartInfo Info, TaskCompletionSource<Process> Started)> Requests = new();

    static ParentBoundProcess() =>
        new Thread(ServeRequests) { IsBackground = true, Name = "child launcher" }.Start();

    /// <summary>Starts <paramref name="argv"/> (executable first), with its standard streams redirected or inherited.</summary>
    public static Process Start(IReadOnlyList<string> argv, bool redirect)
    {
        var info = new ProcessStartInfo(Launcher)
        {
            UseShellExecute = false,
            RedirectStandardInput = redirect,
            RedirectStandardOutput = redirect,
            RedirectStandardError = redirect,
        };
        foreach (var arg in LauncherArguments.Concat(argv))
            info.ArgumentList.Add(arg);
        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        Requests.Add((info, started));
        return started.Task.GetAwaiter().GetResult();
    }

    /// <summary>What goes before the child's own argv.</summary>
    public static readonly IReadOnlyList<string> LauncherArguments = ["--pdeathsig", "KILL", "--"];

    static void ServeRequests()
    {
        foreach (var (info, started) in Requests.GetConsumingEnumerable())
        {
            try
            {
                started.SetResult(Process.Start(info) ?? throw new InvalidOperationException($"could not start {info.ArgumentList[LauncherArguments.Count]}"));
            }
            catch (Exception e)
            {
                started.SetException(e);
            }
        }
    }
}

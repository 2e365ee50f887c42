using Kernel.Diagnostics;
using Kernel.Proc;
using Kernel.Shell;

namespace Kernel.Servers
{
    /// <summary>
    /// The kernel's side of the processes it starts at boot: it spawns them and publishes their endpoints, so clients
    /// find the servers without the servers holding a static of their own (docs/processes.md).
    /// </summary>
    public static unsafe class SystemProcesses
    {
        [ProcessApi] public static int Console { get; private set; } = Endpoint.None;
        [ProcessApi] public static int Clock { get; private set; } = Endpoint.None;
        [ProcessApi] public static int Shell { get; private set; } = Endpoint.None;

        public static void StartConsole()
        {
            Console = Scheduler.Spawn("console", &ConsoleServer.Run, 0, Scheduler.ServerPriority, isSystem: true);
            ConsoleInput.SetReader(Console);
        }

        public static void StartClock() => Clock = Scheduler.Spawn("clock", &ClockServer.Run, 0, Scheduler.ServerPriority, isSystem: true);

        public static void StartShell() => Shell = Scheduler.Spawn("shell", &ShellProcess.Run, 0, Scheduler.UserPriority, isSystem: true);
    }
}

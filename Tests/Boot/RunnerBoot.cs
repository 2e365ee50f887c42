using System.Diagnostics;
using NUnit.Framework;

namespace Kernel.Tests.Boot;

/// <summary>
/// `./build.sh run`'s QEMU belongs to the runner: killing the runner with SIGKILL, which no handler of its own sees,
/// must end its QEMU too (tools/KernelRunner/ParentBoundProcess.cs).
/// </summary>
[Parallelizable(ParallelScope.Self)]
public sealed class RunnerBoot
{
    [Test]
    public void AKilledRunnerLeavesNoQemuBehind()
    {
        KernelBoot.RequireIsoAndQemu();
        using var slot = KernelBoot.TakeQemuSlot();
        var runnerDll = Path.Combine(AppContext.BaseDirectory, "KernelRunner.dll");
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = KernelBoot.Repo.Root, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { runnerDll, "run", "--smp", "1" }) info.ArgumentList.Add(arg);
        using var runner = Process.Start(info)!;
        // Read what QEMU writes to the terminal it inherited (with no reader left, its writes would end it by SIGPIPE),
        // and wait for the kernel's first line: QEMU is then past its own start-up.
        var booted = new ManualResetEventSlim();
        runner.OutputDataReceived += (_, line) => { if (line.Data?.Contains(KernelRunner.QemuRunner.FirstKernelLogMarker) == true) booted.Set(); };
        runner.ErrorDataReceived += (_, _) => { };
        runner.BeginOutputReadLine();
        runner.BeginErrorReadLine();
        int qemu = 0;
        try
        {
            qemu = WaitFor(() => BootingQemu(runner.Id), TimeSpan.FromSeconds(30));
            Assert.That(qemu, Is.Not.Zero, "the runner started QEMU");
            Assert.That(booted.Wait(TimeSpan.FromSeconds(60)), Is.True, "the kernel booted");
            runner.Kill();   // SIGKILL: the runner's own clean-up never runs
            runner.WaitForExit(5000);   // the timed wait: the untimed one also waits for the output's end, which QEMU holds
            bool gone = WaitFor(() => IsRunning(qemu) ? 0 : 1, TimeSpan.FromSeconds(10)) == 1;
            Assert.That(gone, Is.True, $"QEMU (PID {qemu}) still runs 10 s after its runner was killed");
        }
        finally
        {
            if (!runner.HasExited) runner.Kill(entireProcessTree: true);
            if (qemu != 0 && IsRunning(qemu)) Kill(qemu);
        }
    }

    static void Kill(int pid)
    {
        try { Process.GetProcessById(pid).Kill(); }
        catch (ArgumentException) { }             // already gone
        catch (InvalidOperationException) { }
    }

    static int WaitFor(Func<int> probe, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        int value;
        while ((value = probe()) == 0 && clock.Elapsed < limit) Thread.Sleep(100);
        return value;
    }

    // /proc/PID/task/TID/children lists each thread's children (Linux ≥ 3.5). The runner's first QEMU child only
    // prints its version: the one that boots has a -cdrom.
    static int BootingQemu(int parent)
    {
        foreach (var task in Directory.EnumerateDirectories($"/proc/{parent}/task"))
        {
            string children;
            try { children = File.ReadAllText(Path.Combine(task, "children")); }
            catch (IOException) { continue; }
            foreach (var pid in children.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse))
                if (CommandLine(pid).Contains("\0-cdrom\0") && CommandLine(pid).StartsWith("qemu-system-x86_64\0")) return pid;
        }
        return 0;
    }

    static string CommandLine(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline"); }
        catch (IOException) { return ""; }
    }

    // A process that exited but was not yet reaped shows state Z: it no longer runs.
    static bool IsRunning(int pid)
    {
        try { return !File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].StartsWith('Z'); }
        catch (IOException) { return false; }
    }
}

using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Emit;
using NUnit.Framework;
using ProcessVerifier;

namespace Kernel.Tests.Tools;

/// <summary>
/// tools/ProcessVerifier on the real Kernel.dll and on small processes compiled here against it (Roslyn, with
/// Kernel.dll as the corelib, as the kernel itself is built): what it accepts and the violation it names.
/// </summary>
public sealed class ProcessBoundaryTests
{
    static string Repo([CallerFilePath] string thisFile = "") => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", ".."));

    static string KernelDll => Path.Combine(Repo(), "Kernel", "bin", "Debug", "net10.0", "Kernel.dll");

    string _scratch = "";

    [SetUp]
    public void MakeScratch() => _scratch = Directory.CreateTempSubdirectory("process-boundary-").FullName;

    [TearDown]
    public void RemoveScratch() => Directory.Delete(_scratch, recursive: true);

    // Compiles `source` against Kernel.dll into a scratch assembly and checks it.
    IReadOnlyList<string> Check(string source)
    {
        var compilation = CSharpCompilation.Create(
            "Synthetic",
            [CSharpSyntaxTree.ParseText(source)],
            [MetadataReference.CreateFromFile(KernelDll)],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));
        var path = Path.Combine(_scratch, "Synthetic.dll");
        EmitResult result;
        using (var output = File.Create(path))
            result = compilation.Emit(output, options: new EmitOptions(runtimeMetadataVersion: "v4.0.30319"));
        Assert.That(result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error), Is.Empty, "the synthetic process compiles");
        return ProcessBoundary.Check(path, KernelDll);
    }

    [Test]
    public void The_real_processes_keep_to_the_process_api()
    {
        Assert.That(ProcessBoundary.Check(KernelDll), Is.Empty);
    }

    // A process type named after its process, in a namespace of its own, with these members.
    static string ProcessType(string process, string members) => $$"""
        using Kernel.Proc;
        namespace Synthetic
        {
            [Process("{{process}}")]
            public static unsafe class {{char.ToUpperInvariant(process[0]) + process[1..]}}
            {
                {{members}}
            }
        }
        """;

    [Test]
    public void A_process_that_uses_ipc_and_snapshots_passes()
    {
        var source = ProcessType("polite", """
            public static IpcStatus Ask(int server)
            {
                Message message = Message.Of(42, (ulong)Snapshots.CpuCount);
                return Ipc.SendRec(server, &message);
            }
            """);

        Assert.That(Check(source), Is.Empty);
    }

    [Test]
    public void A_process_that_reads_a_kernel_table_is_named_with_what_it_read()
    {
        var source = ProcessType("rogue", "public static int Run() => Kernel.Smp.Cpus.OnlineCount;");

        Assert.That(Check(source), Is.EqualTo(new[]
        {
            "process 'rogue': Synthetic.Rogue.Run references Kernel.Smp.Cpus.get_OnlineCount, which is not the process API",
        }));
    }

    [Test]
    public void A_grant_to_one_server_is_not_a_grant_to_another_process()
    {
        var source = ProcessType("rogue", "public static void Run(byte* text) => KernelCalls.ConsoleWrite(text, 1);");

        Assert.That(Check(source), Is.EqualTo(new[]
        {
            "process 'rogue': Synthetic.Rogue.Run references Kernel.Proc.KernelCalls.ConsoleWrite, which is not the process API",
        }));
    }

    [Test]
    public void Statics_another_process_could_see_are_refused()
    {
        var source = ProcessType("leaky", """
            private const int Limit = 3;
            private static readonly ulong s_seed = 7;
            private static int[] s_shared;
            private static byte* s_buffer;
            private static int s_count;
            public static int Run() => s_shared.Length + s_buffer[0] + s_count + (int)s_seed + Limit;
            """);

        Assert.That(Check(source), Is.EqualTo(new[]
        {
            "process 'leaky': Synthetic.Leaky holds a static reference, field s_shared: another process could see it",
            "process 'leaky': Synthetic.Leaky holds a static pointer, field s_buffer: another process could see it",
            "process 'leaky': Synthetic.Leaky holds a mutable static (every instance of the process code shares it), field s_count: another process could see it",
        }));
    }

    [Test]
    public void A_process_body_marked_on_its_method_may_call_its_own_process_code_only()
    {
        const string source = """
            using Kernel.Proc;
            namespace Synthetic
            {
                public static class KernelSideTest
                {
                    [Process("body")]
                    public static void Body(ulong argument) => Helper(argument);

                    [Process("body")]
                    private static void Helper(ulong argument) => Report(argument);

                    private static void Report(ulong argument) { }
                }
            }
            """;

        Assert.That(Check(source), Is.EqualTo(new[]
        {
            "process 'body': Synthetic.KernelSideTest.Helper references Synthetic.KernelSideTest.Report, which is not the process API",
        }));
    }

    [Test]
    public void A_process_body_nobody_marked_is_refused_where_it_is_started()
    {
        const string source = """
            using Kernel.Proc;
            namespace Synthetic
            {
                public static unsafe class Starter
                {
                    public static void StartAll()
                    {
                        Scheduler.Spawn("unmarked", &Unmarked, 0);
                        Scheduler.Spawn("marked", &Marked, 0);
                        Start(&Idle);
                    }

                    private static void Start(delegate*<ulong, void> entry) { }

                    private static void Unmarked(ulong argument) { }

                    [Process("marked")]
                    private static void Marked(ulong argument) { }

                    [KernelThread]
                    private static void Idle(ulong argument) { }
                }
            }
            """;

        Assert.That(Check(source), Is.EqualTo(new[]
        {
            "Synthetic.Starter.StartAll takes the address of Synthetic.Starter.Unmarked, which has a process entry's shape (static void (ulong)) but is neither [Process] code nor a [KernelThread]",
        }));
    }

    // Kernel-side process API in a namespace of its own, with these members.
    static string ProcessApiType(string members) => $$"""
        using Kernel.Proc;
        namespace Synthetic
        {
            public sealed class Holder { public string Text; }

            [ProcessApi]
            public static unsafe class Api
            {
                {{members}}
            }
        }
        """;

    [Test]
    public void The_process_api_may_read_copy_and_hand_back_what_it_is_given()
    {
        var source = ProcessApiType("""
            private static int s_length;

            public static int Count(string text, out string same, Holder mine)
            {
                int sum = 0;
                fixed (char* chars = text) sum = Sum(chars, text.Length);
                s_length = text.Length;
                same = text;
                mine.Text = text;
                var copy = new char[text.Length];
                for (int i = 0; i < text.Length; i++) copy[i] = text[i];
                return sum;
            }

            private static int Sum(char* chars, int length)
            {
                int sum = 0;
                for (int i = 0; i < length; i++) sum += chars[i];
                return sum;
            }
            """);

        Assert.That(Check(source), Is.Empty);
    }

    [Test]
    public void The_process_api_keeping_a_reference_is_named_with_the_calls_that_keep_it()
    {
        var source = ProcessApiType("""
            private static string s_last;
            private static readonly Holder s_holder = new Holder();
            private static readonly string[] s_names = new string[4];
            private static char* s_chars;

            public static void Remember(string text) => s_last = text;

            public static void Hold(string text) => Store(s_holder, text);

            private static void Store(Holder holder, string text) => holder.Text = text;

            public static void Name(string text, int slot) => s_names[slot] = text.Length > 0 ? text : null;

            public static void Point(string text)
            {
                fixed (char* chars = text) s_chars = chars + 1;
            }
            """);

        Assert.That(Check(source), Is.EqualTo(new[]
        {
            "the process API keeps what a process gives it: Synthetic.Api.Remember stores it in static field Synthetic.Api.s_last",
            "the process API keeps what a process gives it: Synthetic.Api.Hold -> Synthetic.Api.Store stores it in field Synthetic.Holder.Text of an object it was not given",
            "the process API keeps what a process gives it: Synthetic.Api.Name stores it in an array it was not given",
            "the process API keeps what a process gives it: Synthetic.Api.Point stores it in static field Synthetic.Api.s_chars",
        }));
    }
}

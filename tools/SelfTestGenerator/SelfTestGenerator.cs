using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Kernel.Tools
{
    /// <summary>
    /// Collects every method marked [Kernel.Testing.SelfTest] and emits
    /// <c>SelfTestRegistry.Create()</c>, which builds the table the in-guest runner walks; each entry
    /// carries its suite's [SelfTestCleanup] method, if the suite has one. The kernel has no reflection,
    /// so registration by attribute needs this compile-time step. Tests appear in suite order (by suite
    /// name), then in declaration order. A misdeclared test or cleanup is a compile error.
    /// </summary>
    [Generator]
    public sealed class SelfTestGenerator : IIncrementalGenerator
    {
        private const string TestAttribute = "Kernel.Testing.SelfTestAttribute";
        private const string SuiteAttribute = "Kernel.Testing.SelfTestSuiteAttribute";
        private const string CleanupAttribute = "Kernel.Testing.SelfTestCleanupAttribute";

        private static readonly DiagnosticDescriptor BadSignature = new(
            "KST001", "Self-test signature", "Self-test or cleanup '{0}' must be a static void method without parameters or type parameters",
            "SelfTest", DiagnosticSeverity.Error, true);

        private static readonly DiagnosticDescriptor MissingSuite = new(
            "KST002", "Self-test outside a suite", "Self-test or cleanup '{0}' must be declared in a class marked [SelfTestSuite(\"name\")]",
            "SelfTest", DiagnosticSeverity.Error, true);

        private static readonly DiagnosticDescriptor Duplicate = new(
            "KST003", "Duplicate self-test", "Self-test '{0}' is declared twice",
            "SelfTest", DiagnosticSeverity.Error, true);

        private static readonly DiagnosticDescriptor SecondCleanup = new(
            "KST004", "Second cleanup", "Suite '{0}' already has a [SelfTestCleanup] method",
            "SelfTest", DiagnosticSeverity.Error, true);

        private sealed class TestMethod
        {
            public TestMethod(string suite, string name, string target, int order, Location? location, string? problem)
            {
                Suite = suite;
                Name = name;
                Target = target;
                Order = order;
                Location = location;
                Problem = problem;
            }

            public string Suite { get; }
            public string Name { get; }
            public string Target { get; }
            public int Order { get; }
            public Location? Location { get; }
            public string? Problem { get; }
        }

        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var tests = context.SyntaxProvider.ForAttributeWithMetadataName(
                TestAttribute,
                static (node, _) => node is MethodDeclarationSyntax,
                static (ctx, _) => Describe((IMethodSymbol)ctx.TargetSymbol, ctx.TargetNode));
            var cleanups = context.SyntaxProvider.ForAttributeWithMetadataName(
                CleanupAttribute,
                static (node, _) => node is MethodDeclarationSyntax,
                static (ctx, _) => Describe((IMethodSymbol)ctx.TargetSymbol, ctx.TargetNode));

            context.RegisterSourceOutput(tests.Collect().Combine(cleanups.Collect()), static (ctx, found) => Emit(ctx, found.Left, found.Right));
        }

        private static TestMethod Describe(IMethodSymbol method, SyntaxNode node)
        {
            var location = node.GetLocation();
            string target = method.ContainingType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + "." + method.Name;
            int order = location.GetLineSpan().StartLinePosition.Line;
            var suite = method.ContainingType.GetAttributes()
                .FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == SuiteAttribute)?
                .ConstructorArguments.FirstOrDefault().Value as string;

            string? problem = null;
            if (!method.IsStatic || !method.ReturnsVoid || method.Parameters.Length != 0 || method.TypeParameters.Length != 0)
                problem = BadSignature.Id;
            else if (string.IsNullOrEmpty(suite))
                problem = MissingSuite.Id;
            return new TestMethod(suite ?? "", method.Name, target, order, location, problem);
        }

        private static void Emit(SourceProductionContext context, ImmutableArray<TestMethod> tests, ImmutableArray<TestMethod> cleanups)
        {
            var valid = new List<TestMethod>();
            var seen = new HashSet<string>();
            foreach (var test in tests)
            {
                if (Reported(context, test)) continue;
                if (!seen.Add(test.Suite + "." + test.Name)) context.ReportDiagnostic(Diagnostic.Create(Duplicate, test.Location, test.Suite + "." + test.Name));
                else valid.Add(test);
            }
            var cleanupOf = new Dictionary<string, string>();
            foreach (var cleanup in cleanups)
            {
                if (Reported(context, cleanup)) continue;
                if (cleanupOf.ContainsKey(cleanup.Suite)) context.ReportDiagnostic(Diagnostic.Create(SecondCleanup, cleanup.Location, cleanup.Suite));
                else cleanupOf[cleanup.Suite] = "&" + cleanup.Target;
            }

            var source = new StringBuilder();
            source.AppendLine("// <auto-generated> by tools/SelfTestGenerator from the kernel's [SelfTest] methods.</auto-generated>");
            source.AppendLine("namespace Kernel.Testing");
            source.AppendLine("{");
            source.AppendLine("    internal static unsafe class SelfTestRegistry");
            source.AppendLine("    {");
            source.AppendLine("        public static SelfTestCase[] Create() => new SelfTestCase[]");
            source.AppendLine("        {");
            foreach (var test in valid.OrderBy(t => t.Suite, System.StringComparer.Ordinal).ThenBy(t => t.Target.Substring(0, t.Target.LastIndexOf('.')), System.StringComparer.Ordinal).ThenBy(t => t.Order))
                source.AppendLine($"            new SelfTestCase(\"{test.Suite}\", \"{test.Name}\", &{test.Target}, {(cleanupOf.TryGetValue(test.Suite, out string? cleanup) ? cleanup : "null")}),");
            source.AppendLine("        };");
            source.AppendLine("    }");
            source.AppendLine("}");
            context.AddSource("SelfTestRegistry.g.cs", source.ToString());
        }

        // Reports a misdeclared test or cleanup; true if it was one.
        private static bool Reported(SourceProductionContext context, TestMethod method)
        {
            if (method.Problem == BadSignature.Id) context.ReportDiagnostic(Diagnostic.Create(BadSignature, method.Location, method.Name));
            else if (method.Problem == MissingSuite.Id) context.ReportDiagnostic(Diagnostic.Create(MissingSuite, method.Location, method.Name));
            return method.Problem != null;
        }
    }
}

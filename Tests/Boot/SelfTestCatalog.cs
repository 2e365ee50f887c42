using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Kernel.Tests.Boot;

/// <summary>
/// Lists the in-guest self-tests from the kernel's IL metadata. The kernel assembly is its own corelib, so it
/// cannot be loaded into the host runtime; only its metadata tables are read.
/// </summary>
public static class SelfTestCatalog
{
    public const string SuiteAttribute = "Kernel.Testing.SelfTestSuiteAttribute";
    public const string TestAttribute = "Kernel.Testing.SelfTestAttribute";

    /// <summary>Stands in for the list when Kernel.dll can't be read, so that one test case fails and says why.</summary>
    public const string Unavailable = "(self-test list unavailable)";

    /// <summary>The built kernel's self-tests, read once per test run (at test discovery).</summary>
    public static (IReadOnlyList<string> Names, string? Problem) ForKernel => LazyForKernel.Value;

    static readonly Lazy<(IReadOnlyList<string>, string?)> LazyForKernel = new(() =>
    {
        var assemblyPath = KernelBoot.Repo.KernelAssembly;
        try
        {
            var names = Read(assemblyPath);
            return names.Count > 0
                ? (names, null)
                : ([Unavailable], $"{assemblyPath} has no method with [{TestAttribute}] in a type with [{SuiteAttribute}(\"suite\")]");
        }
        catch (Exception problem) when (problem is IOException or UnauthorizedAccessException or BadImageFormatException or InvalidOperationException)
        {
            return ([Unavailable], $"cannot read the self-test list from {assemblyPath} ({problem.Message}): {KernelRunner.RepoLayout.BuildHint}");
        }
    });

    /// <summary>Every self-test as <c>&lt;suite&gt;.&lt;MethodName&gt;</c>, in metadata order.</summary>
    public static IReadOnlyList<string> Read(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        return Read(stream);
    }

    public static IReadOnlyList<string> Read(Stream assembly)
    {
        using var pe = new PEReader(assembly, PEStreamOptions.LeaveOpen);
        var metadata = pe.GetMetadataReader();
        var names = new List<string>();

        foreach (var typeHandle in metadata.TypeDefinitions)
        {
            var type = metadata.GetTypeDefinition(typeHandle);
            var suite = FindAttribute(metadata, type.GetCustomAttributes(), SuiteAttribute) is { } suiteAttribute
                ? ReadSingleStringArgument(metadata, suiteAttribute)
                : null;
            if (suite is null)
                continue;

            foreach (var methodHandle in type.GetMethods())
            {
                var method = metadata.GetMethodDefinition(methodHandle);
                if (FindAttribute(metadata, method.GetCustomAttributes(), TestAttribute) is not null)
                    names.Add($"{suite}.{metadata.GetString(method.Name)}");
            }
        }
        return names;
    }

    static CustomAttribute? FindAttribute(MetadataReader metadata, CustomAttributeHandleCollection attributes, string fullName)
    {
        foreach (var handle in attributes)
        {
            var attribute = metadata.GetCustomAttribute(handle);
            if (AttributeTypeName(metadata, attribute) == fullName)
                return attribute;
        }
        return null;
    }

    // The constructor is a MethodDef when the attribute is declared in the same assembly (the kernel's case)
    // and a MemberRef when it comes from a referenced one.
    static string? AttributeTypeName(MetadataReader metadata, CustomAttribute attribute)
    {
        switch (attribute.Constructor.Kind)
        {
            case HandleKind.MethodDefinition:
                var definingType = metadata.GetMethodDefinition((MethodDefinitionHandle)attribute.Constructor).GetDeclaringType();
                return TypeName(metadata, metadata.GetTypeDefinition(definingType));
            case HandleKind.MemberReference:
                var parent = metadata.GetMemberReference((MemberReferenceHandle)attribute.Constructor).Parent;
                return parent.Kind switch
                {
                    HandleKind.TypeReference => TypeName(metadata, metadata.GetTypeReference((TypeReferenceHandle)parent)),
                    HandleKind.TypeDefinition => TypeName(metadata, metadata.GetTypeDefinition((TypeDefinitionHandle)parent)),
                    _ => null,
                };
            default:
                return null;
        }
    }

    static string TypeName(MetadataReader metadata, TypeDefinition type) =>
        $"{metadata.GetString(type.Namespace)}.{metadata.GetString(type.Name)}";

    static string TypeName(MetadataReader metadata, TypeReference type) =>
        $"{metadata.GetString(type.Namespace)}.{metadata.GetString(type.Name)}";

    // Custom attribute blob (ECMA-335 II.23.3): prolog 0x0001, then the fixed arguments; a string is a SerString.
    static string? ReadSingleStringArgument(MetadataReader metadata, CustomAttribute attribute)
    {
        var blob = metadata.GetBlobReader(attribute.Value);
        return blob.ReadUInt16() == 1 ? blob.ReadSerializedString() : null;
    }
}

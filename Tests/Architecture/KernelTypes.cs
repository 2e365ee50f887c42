using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using ProcessVerifier;

namespace Kernel.Tests.Architecture;

/// <summary>One type of Kernel.dll: its full name, its namespace, and the repository file its code is in (from the PDB).</summary>
public sealed record KernelType(string FullName, string Namespace, string? SourceFile);

/// <summary>
/// The kernel's types and which of them refer to which, read from Kernel.dll's metadata and IL and its portable PDB
/// (System.Reflection.Metadata: the kernel is its own corelib, so it cannot be loaded into the host runtime). A type
/// refers to another when its fields, method signatures or method bodies name it or one of its members. Nested types
/// count as their outermost type.
/// </summary>
public sealed class KernelTypes
{
    public IReadOnlyDictionary<TypeDefinitionHandle, KernelType> Types { get; }
    public IReadOnlySet<(KernelType From, KernelType To)> References { get; }

    KernelTypes(Dictionary<TypeDefinitionHandle, KernelType> types, HashSet<(KernelType, KernelType)> references)
    {
        Types = types;
        References = references;
    }

    public static KernelTypes Read(string assemblyPath, string pdbPath, string repoRoot)
    {
        using var pe = new PEReader(File.OpenRead(assemblyPath));
        using var pdbProvider = MetadataReaderProvider.FromPortablePdbStream(File.OpenRead(pdbPath));
        var metadata = pe.GetMetadataReader();
        var pdb = pdbProvider.GetMetadataReader();

        var types = new Dictionary<TypeDefinitionHandle, KernelType>();
        foreach (var handle in metadata.TypeDefinitions)
        {
            var outer = Outermost(metadata, handle);
            if (outer != handle || types.ContainsKey(handle)) continue;
            var definition = metadata.GetTypeDefinition(handle);
            string ns = metadata.GetString(definition.Namespace), name = metadata.GetString(definition.Name);
            if (name == "<Module>" || IsEmbeddedByCompiler(metadata, definition)) continue;
            types[handle] = new KernelType(ns.Length == 0 ? name : $"{ns}.{name}", ns, SourceOf(metadata, pdb, handle, repoRoot));
        }

        var references = new HashSet<(KernelType, KernelType)>();
        var signatures = new NamedTypes<TypeDefinitionHandle>(handle => [handle], _ => []);
        foreach (var handle in metadata.TypeDefinitions)
        {
            if (!types.TryGetValue(Outermost(metadata, handle), out var from)) continue;
            var definition = metadata.GetTypeDefinition(handle);
            var named = new HashSet<TypeDefinitionHandle>();
            foreach (var fieldHandle in definition.GetFields())
                named.UnionWith(metadata.GetFieldDefinition(fieldHandle).DecodeSignature(signatures, null));
            foreach (var methodHandle in definition.GetMethods())
            {
                var method = metadata.GetMethodDefinition(methodHandle);
                var signature = method.DecodeSignature(signatures, null);
                named.UnionWith(signature.ReturnType);
                foreach (var parameter in signature.ParameterTypes) named.UnionWith(parameter);
                if (method.RelativeVirtualAddress != 0)
                    foreach (var token in IlTokens.Of(pe.GetMethodBody(method.RelativeVirtualAddress)))
                        named.UnionWith(TypesOf(metadata, signatures, token));
            }
            foreach (var target in named)
                if (types.TryGetValue(Outermost(metadata, target), out var to) && to != from) references.Add((from, to));
        }
        return new KernelTypes(types, references);
    }

    // Attribute types Roslyn adds to the assembly itself (EmbeddedAttribute, RequiresLocationAttribute): no source of ours.
    static bool IsEmbeddedByCompiler(MetadataReader metadata, TypeDefinition definition)
    {
        foreach (var handle in definition.GetCustomAttributes())
        {
            var constructor = metadata.GetCustomAttribute(handle).Constructor;
            if (constructor.Kind == HandleKind.MethodDefinition
                && metadata.GetString(metadata.GetTypeDefinition(metadata.GetMethodDefinition((MethodDefinitionHandle)constructor).GetDeclaringType()).Name) == "EmbeddedAttribute")
                return true;
        }
        return false;
    }

    static TypeDefinitionHandle Outermost(MetadataReader metadata, TypeDefinitionHandle handle)
    {
        while (metadata.GetTypeDefinition(handle).GetDeclaringType() is { IsNil: false } declaring) handle = declaring;
        return handle;
    }

    // Portable PDB custom debug information naming the documents of a type without method bodies (an enum, a struct
    // of fields only): https://github.com/dotnet/runtime/blob/main/docs/design/specs/PortablePdb-Metadata.md
    static readonly Guid TypeDefinitionDocuments = new("932E74BC-DBA9-4478-8D46-0F32A7BAB3D3");

    // The first document any of the type's (or its nested types') methods has sequence points in, else the document
    // the compiler recorded for the type itself.
    static string? SourceOf(MetadataReader metadata, MetadataReader pdb, TypeDefinitionHandle handle, string repoRoot)
    {
        var definition = metadata.GetTypeDefinition(handle);
        foreach (var informationHandle in pdb.GetCustomDebugInformation(handle))
        {
            var information = pdb.GetCustomDebugInformation(informationHandle);
            if (pdb.GetGuid(information.Kind) != TypeDefinitionDocuments) continue;
            var blob = pdb.GetBlobReader(information.Value);
            if (blob.RemainingBytes == 0) continue;
            var document = MetadataTokens.DocumentHandle(blob.ReadCompressedInteger());
            return Path.GetRelativePath(repoRoot, pdb.GetString(pdb.GetDocument(document).Name)).Replace('\\', '/');
        }
        foreach (var methodHandle in definition.GetMethods())
        {
            var debug = pdb.GetMethodDebugInformation(methodHandle);
            var document = debug.Document;
            if (document.IsNil)
                foreach (var point in debug.GetSequencePoints()) { document = point.Document; break; }
            if (!document.IsNil) return Path.GetRelativePath(repoRoot, pdb.GetString(pdb.GetDocument(document).Name)).Replace('\\', '/');
        }
        foreach (var nested in definition.GetNestedTypes())
            if (SourceOf(metadata, pdb, nested, repoRoot) is { } file) return file;
        return null;
    }

    static IEnumerable<TypeDefinitionHandle> TypesOf(MetadataReader metadata, NamedTypes<TypeDefinitionHandle> signatures, EntityHandle token)
    {
        switch (token.Kind)
        {
            case HandleKind.TypeDefinition:
                yield return (TypeDefinitionHandle)token;
                break;
            case HandleKind.TypeSpecification:
                foreach (var type in metadata.GetTypeSpecification((TypeSpecificationHandle)token).DecodeSignature(signatures, null)) yield return type;
                break;
            case HandleKind.MethodDefinition:
                yield return metadata.GetMethodDefinition((MethodDefinitionHandle)token).GetDeclaringType();
                break;
            case HandleKind.FieldDefinition:
                yield return metadata.GetFieldDefinition((FieldDefinitionHandle)token).GetDeclaringType();
                break;
            case HandleKind.MethodSpecification:
                var specification = metadata.GetMethodSpecification((MethodSpecificationHandle)token);
                foreach (var type in TypesOf(metadata, signatures, specification.Method)) yield return type;
                foreach (var argument in specification.DecodeSignature(signatures, null))
                    foreach (var type in argument) yield return type;
                break;
            case HandleKind.MemberReference:
                var parent = metadata.GetMemberReference((MemberReferenceHandle)token).Parent;
                if (parent.Kind is HandleKind.TypeDefinition or HandleKind.TypeSpecification)
                    foreach (var type in TypesOf(metadata, signatures, (EntityHandle)parent)) yield return type;
                break;
        }
    }
}

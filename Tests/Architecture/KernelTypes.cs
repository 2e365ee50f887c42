using System.Collections.Immutable;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

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
        var signatures = new SignatureTypes(metadata);
        foreach (var handle in metadata.TypeDefinitions)
        {
            if (!types.TryGetValue(Outermost(metadata, handle), out var from)) continue;
            var definition = metadata.GetTypeDefinition(handle);
            var named = new HashSet<TypeDefinitionHandle>();
            foreach (var fieldHandle in definition.GetFields())
                named.UnionWith(signatures.In(metadata.GetFieldDefinition(fieldHandle).DecodeSignature(signatures, null)));
            foreach (var methodHandle in definition.GetMethods())
            {
                var method = metadata.GetMethodDefinition(methodHandle);
                var signature = method.DecodeSignature(signatures, null);
                named.UnionWith(signatures.In(signature.ReturnType));
                foreach (var parameter in signature.ParameterTypes) named.UnionWith(signatures.In(parameter));
                if (method.RelativeVirtualAddress != 0)
                    foreach (var token in Tokens(pe.GetMethodBody(method.RelativeVirtualAddress)))
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

    static IEnumerable<TypeDefinitionHandle> TypesOf(MetadataReader metadata, SignatureTypes signatures, EntityHandle token)
    {
        switch (token.Kind)
        {
            case HandleKind.TypeDefinition:
                yield return (TypeDefinitionHandle)token;
                break;
            case HandleKind.TypeSpecification:
                foreach (var type in signatures.In(metadata.GetTypeSpecification((TypeSpecificationHandle)token).DecodeSignature(signatures, null))) yield return type;
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
                    foreach (var type in signatures.In(argument)) yield return type;
                break;
            case HandleKind.MemberReference:
                var parent = metadata.GetMemberReference((MemberReferenceHandle)token).Parent;
                if (parent.Kind is HandleKind.TypeDefinition or HandleKind.TypeSpecification)
                    foreach (var type in TypesOf(metadata, signatures, (EntityHandle)parent)) yield return type;
                break;
        }
    }

    // The metadata tokens an IL body names (ECMA-335 Partition III: every token operand is 4 bytes).
    static IEnumerable<EntityHandle> Tokens(MethodBodyBlock body)
    {
        var il = body.GetILReader();
        while (il.RemainingBytes > 0)
        {
            var opCode = ReadOpCode(ref il);
            switch (opCode.OperandType)
            {
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineType or OperandType.InlineTok:
                    var token = il.ReadInt32();
                    yield return MetadataTokens.EntityHandle(token);
                    break;
                case OperandType.InlineSwitch:
                    int targets = il.ReadInt32();   // read first: `Offset += 4 * ReadInt32()` would add to the offset before the read
                    il.Offset += 4 * targets;
                    break;
                default:
                    il.Offset += OperandSize(opCode.OperandType);
                    break;
            }
        }
    }

    static readonly ImmutableDictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields()
        .Select(field => (OpCode)field.GetValue(null)!).ToImmutableDictionary(op => op.Value);

    static OpCode ReadOpCode(ref BlobReader il)
    {
        byte first = il.ReadByte();
        short value = first == 0xFE ? (short)(0xFE00 | il.ReadByte()) : first;
        return OpCodesByValue[value];
    }

    static int OperandSize(OperandType type) => type switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        _ => 4,
    };

    /// <summary>Decodes signatures into the set of the assembly's own types they name (anything else is dropped).</summary>
    sealed class SignatureTypes(MetadataReader metadata) : ISignatureTypeProvider<ImmutableHashSet<TypeDefinitionHandle>, object?>
    {
        static readonly ImmutableHashSet<TypeDefinitionHandle> None = ImmutableHashSet<TypeDefinitionHandle>.Empty;

        public IEnumerable<TypeDefinitionHandle> In(ImmutableHashSet<TypeDefinitionHandle> types) => types;

        public ImmutableHashSet<TypeDefinitionHandle> GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => [handle];
        public ImmutableHashSet<TypeDefinitionHandle> GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => None;
        public ImmutableHashSet<TypeDefinitionHandle> GetTypeFromSpecification(MetadataReader reader, object? context, TypeSpecificationHandle handle, byte rawTypeKind) =>
            metadata.GetTypeSpecification(handle).DecodeSignature(this, context);
        public ImmutableHashSet<TypeDefinitionHandle> GetPrimitiveType(PrimitiveTypeCode typeCode) => None;
        public ImmutableHashSet<TypeDefinitionHandle> GetSZArrayType(ImmutableHashSet<TypeDefinitionHandle> elementType) => elementType;
        public ImmutableHashSet<TypeDefinitionHandle> GetArrayType(ImmutableHashSet<TypeDefinitionHandle> elementType, ArrayShape shape) => elementType;
        public ImmutableHashSet<TypeDefinitionHandle> GetPointerType(ImmutableHashSet<TypeDefinitionHandle> elementType) => elementType;
        public ImmutableHashSet<TypeDefinitionHandle> GetByReferenceType(ImmutableHashSet<TypeDefinitionHandle> elementType) => elementType;
        public ImmutableHashSet<TypeDefinitionHandle> GetPinnedType(ImmutableHashSet<TypeDefinitionHandle> elementType) => elementType;
        public ImmutableHashSet<TypeDefinitionHandle> GetModifiedType(ImmutableHashSet<TypeDefinitionHandle> modifier, ImmutableHashSet<TypeDefinitionHandle> unmodifiedType, bool isRequired) => unmodifiedType;
        public ImmutableHashSet<TypeDefinitionHandle> GetGenericInstantiation(ImmutableHashSet<TypeDefinitionHandle> genericType, ImmutableArray<ImmutableHashSet<TypeDefinitionHandle>> typeArguments) =>
            typeArguments.Aggregate(genericType, (all, argument) => all.Union(argument));
        public ImmutableHashSet<TypeDefinitionHandle> GetGenericMethodParameter(object? context, int index) => None;
        public ImmutableHashSet<TypeDefinitionHandle> GetGenericTypeParameter(object? context, int index) => None;
        public ImmutableHashSet<TypeDefinitionHandle> GetFunctionPointerType(MethodSignature<ImmutableHashSet<TypeDefinitionHandle>> signature) =>
            signature.ParameterTypes.Aggregate(signature.ReturnType, (all, parameter) => all.Union(parameter));
    }
}

using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace ProcessVerifier;

/// <summary>
/// The process boundary, checked on compiled IL (docs/processes.md). Process code is every method of a type marked
/// [Process(name)] (and of its nested types), or a method so marked. Its IL may name only: code of the same process,
/// members or types marked [ProcessApi] (granted to every process, or to this one by name), Kernel.Lib, and the
/// runtime (System.*, Internal.*: the kernel's own corelib). A process type may hold no static field of reference or
/// pointer type and no mutable static: each would be state another process, or another instance of the same code,
/// could see. Constants and readonly statics of plain value types are fine. So that no process body escapes the
/// check unmarked, a method whose address is taken and that has a process entry's shape (static void (ulong), what
/// Scheduler.Spawn starts) must be process code, or say it is not one with [KernelThread]. And the process API keeps
/// no reference a process gives it (KeptReferences.cs). The kernel is its own
/// corelib, so nothing is loaded into the host runtime: types and attributes are matched by name across the
/// assemblies given.
/// </summary>
public sealed partial class ProcessBoundary
{
    const string AttributeNamespace = "Kernel.Proc";

    readonly List<Module> _modules = [];

    ProcessBoundary(IEnumerable<string> assemblies)
    {
        foreach (var path in assemblies) _modules.Add(new Module(path));
    }

    /// <summary>The violations in <paramref name="assembly"/>, one sentence each; <paramref name="references"/> resolve what it names elsewhere.</summary>
    public static IReadOnlyList<string> Check(string assembly, params string[] references)
    {
        var boundary = new ProcessBoundary([assembly, .. references]);
        try { return boundary.Violations(boundary._modules[0]); }
        finally { foreach (var module in boundary._modules) module.Dispose(); }
    }

    List<string> Violations(Module module)
    {
        var violations = new List<string>();
        var metadata = module.Metadata;
        foreach (var typeHandle in metadata.TypeDefinitions)
        {
            var type = new TypeRef(module, typeHandle);
            string? typeProcess = ProcessOf(type);
            if (typeProcess != null && !type.Name.StartsWith('<')) CheckStatics(type, typeProcess, violations);   // not the compiler's lambda caches
            foreach (var methodHandle in metadata.GetTypeDefinition(typeHandle).GetMethods())
            {
                var method = metadata.GetMethodDefinition(methodHandle);
                if (method.RelativeVirtualAddress == 0) continue;
                string where = $"{type.FullName}.{metadata.GetString(method.Name)}";
                CheckEntriesTaken(module, module.Pe.GetMethodBody(method.RelativeVirtualAddress), where, violations);
                string? process = Attribute(module, method.GetCustomAttributes(), "ProcessAttribute") is { } name ? name : typeProcess;
                if (process == null)
                {
                    CheckKeptReferences(module, type, methodHandle, where, violations);
                    continue;
                }
                var reported = new HashSet<string>();
                foreach (var token in IlTokens.Of(module.Pe.GetMethodBody(method.RelativeVirtualAddress)))
                    foreach (var outside in Outside(module, token, process))
                        if (reported.Add(outside))
                            violations.Add($"process '{process}': {where} references {outside}, which is not the process API");
            }
        }
        return violations;
    }

    // Every process body is marked: a function pointer with a process entry's shape points at process code or a kernel thread.
    void CheckEntriesTaken(Module module, MethodBodyBlock body, string where, List<string> violations)
    {
        var metadata = module.Metadata;
        foreach (var token in IlTokens.AddressesTaken(body))
        {
            if (token.Kind != HandleKind.MethodDefinition) continue;
            var target = metadata.GetMethodDefinition((MethodDefinitionHandle)token);
            if (!HasProcessEntryShape(metadata, target)) continue;
            var owner = new TypeRef(module, target.GetDeclaringType());
            var attributes = target.GetCustomAttributes();
            if (ProcessOf(owner) != null || Attribute(module, attributes, "ProcessAttribute") != null || HasAttribute(module, attributes, "KernelThreadAttribute", out _)) continue;
            violations.Add($"{where} takes the address of {owner.FullName}.{metadata.GetString(target.Name)}, which has a process entry's shape (static void (ulong)) but is neither [Process] code nor a [KernelThread]");
        }
    }

    // ECMA-335 §II.23.2.1: a static method's signature blob is the calling convention (0 = default), the parameter
    // count, the return type and the parameters: void (ELEMENT_TYPE_VOID, 0x01) and one ulong (ELEMENT_TYPE_U8, 0x0B).
    static bool HasProcessEntryShape(MetadataReader metadata, MethodDefinition method)
    {
        if ((method.Attributes & MethodAttributes.Static) == 0) return false;
        var signature = metadata.GetBlobReader(method.Signature);
        return signature.Length == 4 && signature.ReadByte() == 0x00 && signature.ReadByte() == 1 && signature.ReadByte() == 0x01 && signature.ReadByte() == 0x0B;
    }

    void CheckStatics(TypeRef type, string process, List<string> violations)
    {
        var metadata = type.Module.Metadata;
        foreach (var fieldHandle in metadata.GetTypeDefinition(type.Handle).GetFields())
        {
            var field = metadata.GetFieldDefinition(fieldHandle);
            if ((field.Attributes & FieldAttributes.Static) == 0 || (field.Attributes & FieldAttributes.Literal) != 0) continue;
            var shape = field.DecodeSignature(new FieldShapes(this, type.Module), null);
            string problem = shape.Kind switch
            {
                FieldKind.Reference => "a static reference",
                FieldKind.Pointer => "a static pointer",
                _ when (field.Attributes & FieldAttributes.InitOnly) == 0 => "a mutable static (every instance of the process code shares it)",
                _ when shape.Type is { } value && ContainsReferences(value, []) => "a static value holding references",
                _ => "",
            };
            if (problem.Length > 0)
                violations.Add($"process '{process}': {type.FullName} holds {problem}, field {metadata.GetString(field.Name)}: another process could see it");
        }
    }

    bool ContainsReferences(TypeRef valueType, HashSet<TypeRef> seen)
    {
        if (!seen.Add(valueType)) return false;
        var metadata = valueType.Module.Metadata;
        foreach (var fieldHandle in metadata.GetTypeDefinition(valueType.Handle).GetFields())
        {
            var field = metadata.GetFieldDefinition(fieldHandle);
            if ((field.Attributes & FieldAttributes.Static) != 0) continue;
            var shape = field.DecodeSignature(new FieldShapes(this, valueType.Module), null);
            if (shape.Kind != FieldKind.Value || (shape.Type is { } inner && ContainsReferences(inner, seen))) return true;
        }
        return false;
    }

    // What a token names that the process may not: "Type.Member" descriptions, nothing when all of it is allowed.
    IEnumerable<string> Outside(Module module, EntityHandle token, string process)
    {
        var metadata = module.Metadata;
        switch (token.Kind)
        {
            case HandleKind.TypeDefinition or HandleKind.TypeReference or HandleKind.TypeSpecification:
                foreach (var type in TypesIn(module, token))
                    if (!TypeAllowed(type, process)) yield return type.FullName;
                break;
            case HandleKind.MethodDefinition:
                var method = metadata.GetMethodDefinition((MethodDefinitionHandle)token);
                var methodOwner = new TypeRef(module, method.GetDeclaringType());
                if (!MemberAllowed(methodOwner, metadata.GetString(method.Name), process)) yield return $"{methodOwner.FullName}.{metadata.GetString(method.Name)}";
                break;
            case HandleKind.FieldDefinition:
                var field = metadata.GetFieldDefinition((FieldDefinitionHandle)token);
                var fieldOwner = new TypeRef(module, field.GetDeclaringType());
                if (!MemberAllowed(fieldOwner, metadata.GetString(field.Name), process)) yield return $"{fieldOwner.FullName}.{metadata.GetString(field.Name)}";
                break;
            case HandleKind.MemberReference:
                var reference = metadata.GetMemberReference((MemberReferenceHandle)token);
                string name = metadata.GetString(reference.Name);
                foreach (var owner in TypesIn(module, reference.Parent, outermostOnly: true))
                    if (!MemberAllowed(owner, name, process)) yield return $"{owner.FullName}.{name}";
                break;
            case HandleKind.MethodSpecification:
                var specification = metadata.GetMethodSpecification((MethodSpecificationHandle)token);
                foreach (var outside in Outside(module, specification.Method, process)) yield return outside;
                foreach (var argument in specification.DecodeSignature(Named(module), null))
                    foreach (var type in argument)
                        if (!TypeAllowed(type, process)) yield return type.FullName;
                break;
        }
    }

    NamedTypes<TypeRef> Named(Module module) => new(handle => [new TypeRef(module, handle)], handle => Resolve(module, handle) is { } type ? [type] : []);

    // The types a type token or a member's parent names: the type, or for a specification its generic type and arguments.
    IEnumerable<TypeRef> TypesIn(Module module, EntityHandle handle, bool outermostOnly = false)
    {
        switch (handle.Kind)
        {
            case HandleKind.TypeDefinition:
                return [new TypeRef(module, (TypeDefinitionHandle)handle)];
            case HandleKind.TypeReference:
                return Resolve(module, (TypeReferenceHandle)handle) is { } resolved ? [resolved] : [];
            case HandleKind.TypeSpecification:
                var types = module.Metadata.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(Named(module), null);
                return outermostOnly ? types.Take(1) : types;
            default:
                return [];
        }
    }

    bool TypeAllowed(TypeRef type, string process) =>
        IsRuntimeOrLib(type) || ProcessOf(type) == process || Granted(type, type.Definition.GetCustomAttributes(), process, nested: true);

    bool MemberAllowed(TypeRef owner, string name, string process)
    {
        if (TypeAllowed(owner, process)) return true;
        var metadata = owner.Module.Metadata;
        var definition = owner.Definition;
        foreach (var handle in definition.GetMethods())
        {
            var method = metadata.GetMethodDefinition(handle);
            if (metadata.GetString(method.Name) == name
                && (Granted(owner, method.GetCustomAttributes(), process) || Attribute(owner.Module, method.GetCustomAttributes(), "ProcessAttribute") == process))
                return true;
        }
        foreach (var handle in definition.GetFields())
        {
            var field = metadata.GetFieldDefinition(handle);
            if (metadata.GetString(field.Name) == name && Granted(owner, field.GetCustomAttributes(), process)) return true;
        }
        foreach (var handle in definition.GetProperties())
        {
            var property = metadata.GetPropertyDefinition(handle);
            if (IsAccessor(metadata, property, name) && Granted(owner, property.GetCustomAttributes(), process)) return true;
        }
        return false;
    }

    static bool IsAccessor(MetadataReader metadata, PropertyDefinition property, string methodName)
    {
        var accessors = property.GetAccessors();
        return (!accessors.Getter.IsNil && metadata.GetString(metadata.GetMethodDefinition(accessors.Getter).Name) == methodName)
               || (!accessors.Setter.IsNil && metadata.GetString(metadata.GetMethodDefinition(accessors.Setter).Name) == methodName);
    }

    // [ProcessApi] on these attributes (or, with nested, on an enclosing type), granted to every process or to this one.
    bool Granted(TypeRef owner, CustomAttributeHandleCollection attributes, string process, bool nested = false)
    {
        if (HasAttribute(owner.Module, attributes, "ProcessApiAttribute", out string? grantedTo) && (grantedTo == null || grantedTo == process)) return true;
        return nested && owner.Declaring is { } declaring && Granted(declaring, declaring.Definition.GetCustomAttributes(), process, nested: true);
    }

    static bool IsRuntimeOrLib(TypeRef type)
    {
        string ns = type.Outermost.Namespace;
        return ns == "System" || ns.StartsWith("System.", StringComparison.Ordinal) || ns.StartsWith("Internal.", StringComparison.Ordinal)
               || ns == "Kernel.Lib" || ns.StartsWith("Kernel.Lib.", StringComparison.Ordinal)
               || (ns.Length == 0 && type.Outermost.Name.StartsWith('<'))          // <PrivateImplementationDetails>: constant data
               || ns == "Microsoft.CodeAnalysis";                                    // attributes the compiler embeds
    }

    /// <summary>The process a type's code runs in: [Process] on it or on an enclosing type.</summary>
    string? ProcessOf(TypeRef type)
    {
        for (TypeRef? at = type; at != null; at = at.Declaring)
            if (Attribute(at.Module, at.Definition.GetCustomAttributes(), "ProcessAttribute") is { } name) return name;
        return null;
    }

    static string? Attribute(Module module, CustomAttributeHandleCollection attributes, string name) =>
        HasAttribute(module, attributes, name, out string? argument) ? argument : null;

    // Kernel.Proc.<name> among the attributes, with its string argument if it has one.
    static bool HasAttribute(Module module, CustomAttributeHandleCollection attributes, string name, out string? argument)
    {
        var metadata = module.Metadata;
        foreach (var handle in attributes)
        {
            var attribute = metadata.GetCustomAttribute(handle);
            if (!IsAttribute(metadata, attribute.Constructor, name)) continue;
            var value = attribute.DecodeValue(new StringArguments());
            argument = value.FixedArguments.Length > 0 ? value.FixedArguments[0].Value as string : null;
            return true;
        }
        argument = null;
        return false;
    }

    static bool IsAttribute(MetadataReader metadata, EntityHandle constructor, string name)
    {
        EntityHandle type = constructor.Kind switch
        {
            HandleKind.MethodDefinition => metadata.GetMethodDefinition((MethodDefinitionHandle)constructor).GetDeclaringType(),
            HandleKind.MemberReference => metadata.GetMemberReference((MemberReferenceHandle)constructor).Parent,
            _ => default,
        };
        return type.Kind switch
        {
            HandleKind.TypeDefinition => metadata.GetTypeDefinition((TypeDefinitionHandle)type) is var t
                                         && metadata.GetString(t.Name) == name && metadata.GetString(t.Namespace) == AttributeNamespace,
            HandleKind.TypeReference => metadata.GetTypeReference((TypeReferenceHandle)type) is var r
                                        && metadata.GetString(r.Name) == name && metadata.GetString(r.Namespace) == AttributeNamespace,
            _ => false,
        };
    }

    // A type reference to its definition in one of the loaded assemblies (by assembly and type name); null if not loaded.
    TypeRef? Resolve(Module module, TypeReferenceHandle handle)
    {
        var metadata = module.Metadata;
        var reference = metadata.GetTypeReference(handle);
        string ns = metadata.GetString(reference.Namespace), name = metadata.GetString(reference.Name);
        switch (reference.ResolutionScope.Kind)
        {
            case HandleKind.TypeReference:
                return Resolve(module, (TypeReferenceHandle)reference.ResolutionScope) is { } outer ? outer.Nested(name) : null;
            case HandleKind.AssemblyReference:
                string assembly = metadata.GetString(metadata.GetAssemblyReference((AssemblyReferenceHandle)reference.ResolutionScope).Name);
                return _modules.FirstOrDefault(m => m.Name == assembly)?.TopLevel(ns, name);
            default:
                return module.TopLevel(ns, name);
        }
    }

    sealed class Module : IDisposable
    {
        public readonly PEReader Pe;
        public readonly MetadataReader Metadata;
        public readonly string Name;

        public Module(string path)
        {
            Pe = new PEReader(File.OpenRead(path));
            Metadata = Pe.GetMetadataReader();
            Name = Metadata.GetString(Metadata.GetAssemblyDefinition().Name);
        }

        public TypeRef? TopLevel(string ns, string name)
        {
            foreach (var handle in Metadata.TypeDefinitions)
            {
                var definition = Metadata.GetTypeDefinition(handle);
                if (definition.GetDeclaringType().IsNil && Metadata.GetString(definition.Name) == name && Metadata.GetString(definition.Namespace) == ns)
                    return new TypeRef(this, handle);
            }
            return null;
        }

        public void Dispose() => Pe.Dispose();
    }

    sealed record TypeRef(Module Module, TypeDefinitionHandle Handle)
    {
        public TypeDefinition Definition => Module.Metadata.GetTypeDefinition(Handle);
        public string Name => Module.Metadata.GetString(Definition.Name);
        public string Namespace => Module.Metadata.GetString(Definition.Namespace);
        public TypeRef? Declaring => Definition.GetDeclaringType() is { IsNil: false } declaring ? new TypeRef(Module, declaring) : null;
        public TypeRef Outermost => Declaring?.Outermost ?? this;
        public string FullName => Declaring is { } declaring ? $"{declaring.FullName}.{Name}" : Namespace.Length == 0 ? Name : $"{Namespace}.{Name}";

        public TypeRef? Nested(string name)
        {
            foreach (var handle in Definition.GetNestedTypes())
                if (Module.Metadata.GetString(Module.Metadata.GetTypeDefinition(handle).Name) == name) return new TypeRef(Module, handle);
            return null;
        }
    }

    enum FieldKind { Value, Reference, Pointer, Void }

    readonly record struct FieldShape(FieldKind Kind, TypeRef? Type = null);

    /// <summary>Decodes a field's type into what a static of it would share: a reference, a pointer, or a value (with its type when it is ours).</summary>
    sealed class FieldShapes(ProcessBoundary boundary, Module module) : ISignatureTypeProvider<FieldShape, object?>
    {
        const byte ValueTypeKind = (byte)SignatureTypeKind.ValueType;

        public FieldShape GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) =>
            rawTypeKind == ValueTypeKind ? new(FieldKind.Value, new TypeRef(module, handle)) : new(FieldKind.Reference);
        public FieldShape GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) =>
            rawTypeKind == ValueTypeKind ? new(FieldKind.Value, boundary.Resolve(module, handle)) : new(FieldKind.Reference);
        public FieldShape GetTypeFromSpecification(MetadataReader reader, object? context, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, context);
        public FieldShape GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode switch
        {
            PrimitiveTypeCode.String or PrimitiveTypeCode.Object => new(FieldKind.Reference),
            PrimitiveTypeCode.Void => new(FieldKind.Void),   // a method's return type (KeptReferences)
            _ => new(FieldKind.Value),
        };
        public FieldShape GetSZArrayType(FieldShape elementType) => new(FieldKind.Reference);
        public FieldShape GetArrayType(FieldShape elementType, ArrayShape shape) => new(FieldKind.Reference);
        public FieldShape GetPointerType(FieldShape elementType) => new(FieldKind.Pointer);
        public FieldShape GetByReferenceType(FieldShape elementType) => new(FieldKind.Pointer);
        public FieldShape GetPinnedType(FieldShape elementType) => elementType;
        public FieldShape GetModifiedType(FieldShape modifier, FieldShape unmodifiedType, bool isRequired) => unmodifiedType;
        public FieldShape GetGenericInstantiation(FieldShape genericType, ImmutableArray<FieldShape> typeArguments) =>
            genericType.Kind == FieldKind.Value ? new(FieldKind.Value) : genericType;
        public FieldShape GetGenericMethodParameter(object? context, int index) => new(FieldKind.Reference);
        public FieldShape GetGenericTypeParameter(object? context, int index) => new(FieldKind.Reference);
        public FieldShape GetFunctionPointerType(MethodSignature<FieldShape> signature) => new(FieldKind.Pointer);
    }

    /// <summary>Custom attribute values: the process attributes take strings only.</summary>
    sealed class StringArguments : ICustomAttributeTypeProvider<object?>
    {
        public object? GetPrimitiveType(PrimitiveTypeCode typeCode) => null;
        public object? GetSystemType() => null;
        public object? GetSZArrayType(object? elementType) => null;
        public object? GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => null;
        public object? GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => null;
        public object? GetTypeFromSerializedName(string name) => null;
        public PrimitiveTypeCode GetUnderlyingEnumType(object? type) => PrimitiveTypeCode.Int32;
        public bool IsSystemType(object? type) => false;
    }
}

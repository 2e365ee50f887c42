using System.Collections.Immutable;
using System.Reflection.Metadata;

namespace ProcessVerifier;

/// <summary>
/// Decodes a signature into the types it names, as <typeparamref name="T"/>: <paramref name="definition"/> and
/// <paramref name="reference"/> turn the module's type definitions and references into what they stand for (none to drop one).
/// </summary>
public sealed class NamedTypes<T>(Func<TypeDefinitionHandle, ImmutableList<T>> definition, Func<TypeReferenceHandle, ImmutableList<T>> reference)
    : ISignatureTypeProvider<ImmutableList<T>, object?>
{
    static readonly ImmutableList<T> None = [];

    public ImmutableList<T> GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => definition(handle);
    public ImmutableList<T> GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => reference(handle);
    public ImmutableList<T> GetTypeFromSpecification(MetadataReader reader, object? context, TypeSpecificationHandle handle, byte rawTypeKind) =>
        reader.GetTypeSpecification(handle).DecodeSignature(this, context);
    public ImmutableList<T> GetPrimitiveType(PrimitiveTypeCode typeCode) => None;
    public ImmutableList<T> GetSZArrayType(ImmutableList<T> elementType) => elementType;
    public ImmutableList<T> GetArrayType(ImmutableList<T> elementType, ArrayShape shape) => elementType;
    public ImmutableList<T> GetPointerType(ImmutableList<T> elementType) => elementType;
    public ImmutableList<T> GetByReferenceType(ImmutableList<T> elementType) => elementType;
    public ImmutableList<T> GetPinnedType(ImmutableList<T> elementType) => elementType;
    public ImmutableList<T> GetModifiedType(ImmutableList<T> modifier, ImmutableList<T> unmodifiedType, bool isRequired) => unmodifiedType;
    public ImmutableList<T> GetGenericInstantiation(ImmutableList<T> genericType, ImmutableArray<ImmutableList<T>> typeArguments) =>
        typeArguments.Aggregate(genericType, (all, argument) => all.AddRange(argument));
    public ImmutableList<T> GetGenericMethodParameter(object? context, int index) => None;
    public ImmutableList<T> GetGenericTypeParameter(object? context, int index) => None;
    public ImmutableList<T> GetFunctionPointerType(MethodSignature<ImmutableList<T>> signature) =>
        signature.ParameterTypes.Aggregate(signature.ReturnType, (all, parameter) => all.AddRange(parameter));
}

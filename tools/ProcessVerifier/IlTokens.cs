using System.Collections.Immutable;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;

namespace ProcessVerifier;

/// <summary>The metadata tokens an IL body names (ECMA-335 Partition III: every token operand is 4 bytes).</summary>
public static class IlTokens
{
    public static IEnumerable<EntityHandle> Of(MethodBodyBlock body) => WithOpCodes(body).Select(named => named.Token);

    /// <summary>The methods whose address the body takes (ldftn, ldvirtftn): what a function pointer will call.</summary>
    public static IEnumerable<EntityHandle> AddressesTaken(MethodBodyBlock body) =>
        WithOpCodes(body).Where(named => named.OpCode == OpCodes.Ldftn || named.OpCode == OpCodes.Ldvirtftn).Select(named => named.Token);

    static IEnumerable<(OpCode OpCode, EntityHandle Token)> WithOpCodes(MethodBodyBlock body)
    {
        var il = body.GetILReader();
        while (il.RemainingBytes > 0)
        {
            var opCode = ReadOpCode(ref il);
            switch (opCode.OperandType)
            {
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineType or OperandType.InlineTok:
                    var token = il.ReadInt32();
                    yield return (opCode, MetadataTokens.EntityHandle(token));
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

    internal static OpCode ReadOpCode(ref BlobReader il)
    {
        byte first = il.ReadByte();
        short value = first == 0xFE ? (short)(0xFE00 | il.ReadByte()) : first;
        return OpCodesByValue[value];
    }

    internal static int OperandSize(OperandType type) => type switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        _ => 4,
    };
}

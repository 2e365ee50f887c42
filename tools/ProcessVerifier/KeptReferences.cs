using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;

namespace ProcessVerifier;

/// <summary>
/// The process API keeps nothing a process gives it. A reference a process passes to a [ProcessApi] method points into
/// that process's heap, which its own collector frees and which goes back whole when it dies; if the kernel kept it,
/// the kernel would name freed memory (docs/heap.md, "Why collecting one process alone is sound"). So a [ProcessApi]
/// method may read what it is given, copy it, hand it back or store it into the caller's own memory, but neither it
/// nor any method it passes the reference to may store the reference, or a pointer into the object, where it
/// outlives the call: a static, a field or element of an object the caller did not give, memory behind a pointer the
/// caller did not give, a new object. Checked on IL with an abstract evaluation stack whose values carry where they
/// came from, following every call that receives a given reference (ECMA-335 Partition III for each instruction's
/// stack effect). Pointers a process passes (a Message* on its stack) are its memory: storing into them is fine, and
/// the kernel may keep them, as IPC does while a sender is blocked.
/// </summary>
public sealed partial class ProcessBoundary
{
    [Flags]
    enum Origin : byte
    {
        None = 0,
        Given = 1,          // the caller's object, or a pointer into it: must not be kept
        CallerMemory = 2,   // memory the caller owns or this frame's: storing into it keeps nothing
    }

    const int MaxCallDepth = 24;

    /// <summary>Checks a [ProcessApi] method that is given references; violations say what keeps which parameter, and through which calls.</summary>
    void CheckKeptReferences(Module module, TypeRef owner, MethodDefinitionHandle handle, string where, List<string> violations)
    {
        var method = module.Metadata.GetMethodDefinition(handle);
        if (!IsProcessApi(owner, method)) return;
        var origins = RootOrigins(module, owner, method);
        if (!origins.Any(origin => origin.HasFlag(Origin.Given))) return;
        var found = new SortedSet<string>(StringComparer.Ordinal);
        Follow(module, handle, origins, where, found, [], 0);
        foreach (var violation in found) violations.Add($"the process API keeps what a process gives it: {violation}");
    }

    bool IsProcessApi(TypeRef owner, MethodDefinition method)
    {
        var metadata = owner.Module.Metadata;
        if (HasAttribute(owner.Module, method.GetCustomAttributes(), "ProcessApiAttribute", out _)) return true;
        foreach (var propertyHandle in owner.Definition.GetProperties())
        {
            var property = metadata.GetPropertyDefinition(propertyHandle);
            if (IsAccessor(metadata, property, metadata.GetString(method.Name)) && HasAttribute(owner.Module, property.GetCustomAttributes(), "ProcessApiAttribute", out _))
                return true;
        }
        for (TypeRef? type = owner; type != null; type = type.Declaring)
            if (HasAttribute(type.Module, type.Definition.GetCustomAttributes(), "ProcessApiAttribute", out _)) return true;
        return false;
    }

    // What each argument of a process API method is at its entry: references are the caller's objects, pointers and
    // byrefs the caller's memory, as is a struct's `this`; a class's `this` is the caller's object.
    Origin[] RootOrigins(Module module, TypeRef owner, MethodDefinition method)
    {
        var signature = method.DecodeSignature(new FieldShapes(this, module), null);
        var origins = new List<Origin>();
        if (signature.Header.IsInstance) origins.Add(IsValueType(owner) ? Origin.CallerMemory : Origin.Given);
        foreach (var parameter in signature.ParameterTypes)
            origins.Add(parameter.Kind switch { FieldKind.Reference => Origin.Given, FieldKind.Pointer => Origin.CallerMemory, _ => Origin.None });
        return [.. origins];
    }

    static bool IsValueType(TypeRef type)
    {
        var baseType = type.Definition.BaseType;
        if (baseType.IsNil) return false;
        var metadata = type.Module.Metadata;
        string name = baseType.Kind switch
        {
            HandleKind.TypeReference => metadata.GetString(metadata.GetTypeReference((TypeReferenceHandle)baseType).Name),
            HandleKind.TypeDefinition => metadata.GetString(metadata.GetTypeDefinition((TypeDefinitionHandle)baseType).Name),
            _ => "",
        };
        return name is "ValueType" or "Enum";
    }

    // Evaluates one method with its arguments' origins; follows each call that receives something given.
    void Follow(Module module, MethodDefinitionHandle handle, Origin[] arguments, string path, SortedSet<string> found, HashSet<string> following, int depth)
    {
        var method = module.Metadata.GetMethodDefinition(handle);
        if (method.RelativeVirtualAddress == 0)
        {
            // An abstract method has no code to follow; an extern one is a runtime entry point, which keeps nothing.
            if ((method.Attributes & MethodAttributes.Abstract) != 0) found.Add($"{path} is abstract: what implements it cannot be followed");
            return;
        }
        string key = $"{module.Name}:{MetadataTokens.GetToken(handle)}:{string.Join(",", arguments)}";
        if (!following.Add(key)) return;   // already on this path: a recursion adds nothing new
        if (depth > MaxCallDepth)
        {
            found.Add($"{path}: calls nest deeper than {MaxCallDepth}, too deep to follow");
            return;
        }
        var body = module.Pe.GetMethodBody(method.RelativeVirtualAddress);
        var instructions = Decode(body);
        var handlers = new Dictionary<int, bool>();   // where a handler starts: true when the exception is on the stack
        foreach (var region in body.ExceptionRegions)
        {
            handlers[region.HandlerOffset] = region.Kind is ExceptionRegionKind.Catch or ExceptionRegionKind.Filter;
            if (region.Kind == ExceptionRegionKind.Filter) handlers[region.FilterOffset] = true;
        }
        arguments = (Origin[])arguments.Clone();   // starg may widen them
        var locals = new Origin[instructions.Select(LocalIndex).Max() + 1 ?? 0];
        for (int pass = 0; pass < 8; pass++)   // what a local or argument may hold, over all its stores: loops feed earlier loads
        {
            Origin[] before = [.. locals, .. arguments];
            Evaluate(module, instructions, handlers, arguments, locals, path, null, following, depth);
            if (before.SequenceEqual([.. locals, .. arguments])) break;
        }
        Evaluate(module, instructions, handlers, arguments, locals, path, found, following, depth);
        following.Remove(key);
    }

    void Evaluate(Module module, List<Instruction> instructions, Dictionary<int, bool> handlers, Origin[] arguments, Origin[] locals,
                  string path, SortedSet<string>? found, HashSet<string> following, int depth)
    {
        var stack = new List<Origin>();
        var atTargets = new Dictionary<int, List<Origin>>();
        bool reachable = true;
        foreach (var instruction in instructions)
        {
            if (handlers.TryGetValue(instruction.Offset, out bool catches)) stack = catches ? [Origin.None] : [];
            else if (!reachable) stack = atTargets.TryGetValue(instruction.Offset, out var waiting) ? [.. waiting] : [];
            else if (atTargets.TryGetValue(instruction.Offset, out var merged) && merged.Count == stack.Count)
                for (int i = 0; i < stack.Count; i++) stack[i] |= merged[i];
            reachable = true;
            Step(module, instruction, stack, arguments, locals, path, found, following, depth);
            var code = instruction.OpCode;
            foreach (int target in instruction.Targets)
                atTargets[target] = atTargets.TryGetValue(target, out var earlier) && earlier.Count == stack.Count
                    ? [.. earlier.Zip(stack, (a, b) => a | b)]
                    : [.. stack];
            if (code.FlowControl is FlowControl.Branch or FlowControl.Return or FlowControl.Throw || code == OpCodes.Leave || code == OpCodes.Leave_S || code == OpCodes.Endfinally)
                reachable = false;
        }
    }

    void Step(Module module, Instruction instruction, List<Origin> stack, Origin[] arguments, Origin[] locals,
              string path, SortedSet<string>? found, HashSet<string> following, int depth)
    {
        var code = instruction.OpCode;
        Origin Pop()
        {
            if (stack.Count == 0) return Origin.None;
            var top = stack[^1];
            stack.RemoveAt(stack.Count - 1);
            return top;
        }
        void Push(Origin origin) => stack.Add(origin);
        void Kept(Origin value, string where)
        {
            if (value.HasFlag(Origin.Given)) found?.Add($"{path} stores it {where}");
        }
        bool Owned(Origin target) => (target & (Origin.Given | Origin.CallerMemory)) != 0;
        Origin Read(Origin from) => Owned(from) ? Origin.Given : Origin.None;   // what the caller's memory holds is the caller's

        if (ArgumentIndex(instruction) is int argument)
        {
            if (code == OpCodes.Starg || code == OpCodes.Starg_S)
            {
                var value = Pop();
                if (argument < arguments.Length) arguments[argument] |= value;
            }
            else Push(code == OpCodes.Ldarga || code == OpCodes.Ldarga_S ? Origin.CallerMemory : argument < arguments.Length ? arguments[argument] : Origin.None);
            return;
        }
        if (LocalIndex(instruction) is int local)
        {
            if (code.Name!.StartsWith("stloc", StringComparison.Ordinal)) locals[local] |= Pop();
            else Push(code == OpCodes.Ldloca || code == OpCodes.Ldloca_S ? Origin.CallerMemory : locals[local]);
            return;
        }
        switch (code.Name)
        {
            case "stsfld":
                Kept(Pop(), $"in static field {FieldName(module, instruction.Token)}");
                return;
            case "stfld":
            {
                var value = Pop();
                if (!Owned(Pop())) Kept(value, $"in field {FieldName(module, instruction.Token)} of an object it was not given");
                return;
            }
            case "ldfld" or "ldflda":
            {
                var target = Pop();
                Push(code == OpCodes.Ldflda ? target : Read(target));
                return;
            }
            case "ldsfld" or "ldsflda":
                Push(Origin.None);
                return;
            case "dup":
            {
                var top = Pop();
                Push(top);
                Push(top);
                return;
            }
            case "ldobj" or "ldind.ref" or "ldelem.ref" or "ldelem":
            {
                if (code.Name.StartsWith("ldelem", StringComparison.Ordinal)) Pop();
                Push(Read(Pop()));
                return;
            }
            case "ldelema":
            {
                Pop();
                Push(Pop());
                return;
            }
            case "call" or "callvirt" or "newobj" or "calli":
                Call(module, instruction, stack, path, found, following, depth);
                return;
        }
        if (code.Name!.StartsWith("stind", StringComparison.Ordinal) || code == OpCodes.Stobj)
        {
            var value = Pop();
            if (!Owned(Pop())) Kept(value, "through a pointer it was not given");
            return;
        }
        if (code.Name.StartsWith("stelem", StringComparison.Ordinal))
        {
            var value = Pop();
            Pop();
            if (!Owned(Pop())) Kept(value, "in an array it was not given");
            return;
        }
        if (code.Name.StartsWith("conv", StringComparison.Ordinal) || code == OpCodes.Castclass || code == OpCodes.Isinst)
        {
            Push(Pop());
            return;
        }
        if (code.StackBehaviourPop == StackBehaviour.Pop1_pop1 && code.StackBehaviourPush == StackBehaviour.Push1)
        {
            Push(Pop() | Pop());   // arithmetic: a pointer into the caller's object stays one
            return;
        }
        for (int pops = Pops(code); pops > 0; pops--) Pop();
        for (int pushes = Pushes(code); pushes > 0; pushes--) Push(Origin.None);
    }

    // A call pops its arguments; a callee that receives something given is followed with those origins. Its result is
    // given if it is a reference or pointer and anything given went in.
    void Call(Module module, Instruction instruction, List<Origin> stack, string path, SortedSet<string>? found, HashSet<string> following, int depth)
    {
        var code = instruction.OpCode;
        if (code == OpCodes.Calli)
        {
            var standalone = module.Metadata.GetStandaloneSignature((StandaloneSignatureHandle)instruction.Token).DecodeMethodSignature(new FieldShapes(this, module), null);
            var given = PopArguments(stack, standalone.ParameterTypes.Length + 1).Any(origin => origin.HasFlag(Origin.Given));
            if (given) found?.Add($"{path} hands it to a function pointer, which cannot be followed");
            PushResult(stack, standalone.ReturnType, given);
            return;
        }
        var (calleeModule, callee, signature) = ResolveMethod(module, instruction.Token);
        int count = signature.ParameterTypes.Length + (signature.Header.IsInstance && code != OpCodes.Newobj ? 1 : 0);
        var origins = PopArguments(stack, count);
        if (code == OpCodes.Newobj) origins = [Origin.None, .. origins];   // the new object: nobody's yet
        bool anyGiven = origins.Any(origin => origin.HasFlag(Origin.Given));
        if (anyGiven && found != null)
        {
            string name = callee is { } known ? MethodName(calleeModule!, known) : "an unresolved method";
            if (callee is null) found.Add($"{path} hands it to {name}, which cannot be followed");
            else Follow(calleeModule!, callee.Value, origins, $"{path} -> {name}", found, following, depth + 1);
        }
        if (code == OpCodes.Newobj) stack.Add(Origin.None);
        else PushResult(stack, signature.ReturnType, anyGiven);
    }

    static Origin[] PopArguments(List<Origin> stack, int count)
    {
        var origins = new Origin[count];
        for (int i = count - 1; i >= 0; i--)
        {
            if (stack.Count == 0) continue;
            origins[i] = stack[^1];
            stack.RemoveAt(stack.Count - 1);
        }
        return origins;
    }

    static void PushResult(List<Origin> stack, FieldShape returnType, bool given)
    {
        if (returnType.Kind == FieldKind.Void) return;
        stack.Add(given && returnType.Kind != FieldKind.Value ? Origin.Given : Origin.None);
    }

    // The method a call's token names, with its module, and its signature (the callee is null when it is in no loaded module).
    (Module?, MethodDefinitionHandle?, MethodSignature<FieldShape>) ResolveMethod(Module module, EntityHandle token)
    {
        var metadata = module.Metadata;
        switch (token.Kind)
        {
            case HandleKind.MethodDefinition:
                var definition = (MethodDefinitionHandle)token;
                return (module, definition, metadata.GetMethodDefinition(definition).DecodeSignature(new FieldShapes(this, module), null));
            case HandleKind.MethodSpecification:
                return ResolveMethod(module, metadata.GetMethodSpecification((MethodSpecificationHandle)token).Method);
            default:
                var reference = metadata.GetMemberReference((MemberReferenceHandle)token);
                var signature = reference.DecodeMethodSignature(new FieldShapes(this, module), null);
                string name = metadata.GetString(reference.Name);
                foreach (var owner in TypesIn(module, reference.Parent, outermostOnly: true))
                {
                    var ownerMetadata = owner.Module.Metadata;
                    var candidates = owner.Definition.GetMethods().Where(handle =>
                    {
                        var method = ownerMetadata.GetMethodDefinition(handle);
                        return ownerMetadata.GetString(method.Name) == name
                               && method.DecodeSignature(new FieldShapes(this, owner.Module), null).ParameterTypes.Length == signature.ParameterTypes.Length;
                    }).ToList();
                    if (candidates.Count == 1) return (owner.Module, candidates[0], signature);
                }
                return (null, null, signature);
        }
    }

    static string MethodName(Module module, MethodDefinitionHandle handle)
    {
        var method = module.Metadata.GetMethodDefinition(handle);
        return $"{new TypeRef(module, method.GetDeclaringType()).FullName}.{module.Metadata.GetString(method.Name)}";
    }

    string FieldName(Module module, EntityHandle token)
    {
        var metadata = module.Metadata;
        if (token.Kind == HandleKind.FieldDefinition)
        {
            var field = metadata.GetFieldDefinition((FieldDefinitionHandle)token);
            return $"{new TypeRef(module, field.GetDeclaringType()).FullName}.{metadata.GetString(field.Name)}";
        }
        var reference = metadata.GetMemberReference((MemberReferenceHandle)token);
        string owner = TypesIn(module, reference.Parent, outermostOnly: true).FirstOrDefault()?.FullName ?? "?";
        return $"{owner}.{metadata.GetString(reference.Name)}";
    }

    // ECMA-335 Partition III: the stack effect of the instructions Step does not model one by one.
    static int Pops(OpCode code) => code.StackBehaviourPop switch
    {
        StackBehaviour.Pop0 or StackBehaviour.Varpop => code == OpCodes.Ret ? 1 : 0,
        StackBehaviour.Pop1 or StackBehaviour.Popi or StackBehaviour.Popref => 1,
        StackBehaviour.Pop1_pop1 or StackBehaviour.Popi_pop1 or StackBehaviour.Popi_popi or StackBehaviour.Popi_popi8
            or StackBehaviour.Popi_popr4 or StackBehaviour.Popi_popr8 or StackBehaviour.Popref_pop1 or StackBehaviour.Popref_popi => 2,
        _ => 3,
    };

    static int Pushes(OpCode code) => code.StackBehaviourPush switch
    {
        StackBehaviour.Push0 or StackBehaviour.Varpush => 0,
        StackBehaviour.Push1_push1 => 2,
        _ => 1,
    };

    static int? ArgumentIndex(Instruction instruction)
    {
        var code = instruction.OpCode;
        if (code == OpCodes.Ldarg_0) return 0;
        if (code == OpCodes.Ldarg_1) return 1;
        if (code == OpCodes.Ldarg_2) return 2;
        if (code == OpCodes.Ldarg_3) return 3;
        return code == OpCodes.Ldarg || code == OpCodes.Ldarg_S || code == OpCodes.Ldarga || code == OpCodes.Ldarga_S
               || code == OpCodes.Starg || code == OpCodes.Starg_S ? instruction.Operand : null;
    }

    static int? LocalIndex(Instruction instruction)
    {
        var code = instruction.OpCode;
        if (code == OpCodes.Ldloc_0 || code == OpCodes.Stloc_0) return 0;
        if (code == OpCodes.Ldloc_1 || code == OpCodes.Stloc_1) return 1;
        if (code == OpCodes.Ldloc_2 || code == OpCodes.Stloc_2) return 2;
        if (code == OpCodes.Ldloc_3 || code == OpCodes.Stloc_3) return 3;
        return code == OpCodes.Ldloc || code == OpCodes.Ldloc_S || code == OpCodes.Ldloca || code == OpCodes.Ldloca_S
               || code == OpCodes.Stloc || code == OpCodes.Stloc_S ? instruction.Operand : null;
    }

    readonly record struct Instruction(int Offset, OpCode OpCode, int Operand, EntityHandle Token, int[] Targets);

    static List<Instruction> Decode(MethodBodyBlock body)
    {
        var list = new List<Instruction>();
        var il = body.GetILReader();
        while (il.RemainingBytes > 0)
        {
            int offset = il.Offset;
            var code = IlTokens.ReadOpCode(ref il);
            int operand = 0;
            EntityHandle token = default;
            int[] targets = [];
            switch (code.OperandType)
            {
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineType or OperandType.InlineTok or OperandType.InlineSig:
                    token = MetadataTokens.EntityHandle(il.ReadInt32());
                    break;
                case OperandType.ShortInlineVar:
                    operand = il.ReadByte();
                    break;
                case OperandType.InlineVar:
                    operand = il.ReadUInt16();
                    break;
                case OperandType.ShortInlineBrTarget:
                    int near = il.ReadSByte();
                    targets = [il.Offset + near];
                    break;
                case OperandType.InlineBrTarget:
                    int far = il.ReadInt32();
                    targets = [il.Offset + far];
                    break;
                case OperandType.InlineSwitch:
                    int count = il.ReadInt32();
                    var relative = new int[count];
                    for (int i = 0; i < count; i++) relative[i] = il.ReadInt32();
                    targets = [.. relative.Select(jump => il.Offset + jump)];
                    break;
                default:
                    il.Offset += IlTokens.OperandSize(code.OperandType);
                    break;
            }
            list.Add(new Instruction(offset, code, operand, token, targets));
        }
        return list;
    }
}

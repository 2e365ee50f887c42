using System.Reflection;
using System.Reflection.Emit;
using Kernel.Tests.Boot;
using NUnit.Framework;

namespace Kernel.Tests.Harness;

/// <summary>The metadata reader on a small assembly emitted here with the kernel's attribute names.</summary>
public sealed class SelfTestCatalogTests
{
    [Test]
    public void ListsAttributedMethodsOfAttributedTypesAsSuiteDotMethod()
    {
        using var assembly = EmitAssembly();

        Assert.That(SelfTestCatalog.Read(assembly), Is.EqualTo(new[] { "heap.AllocatesZeroedMemory", "heap.Frees", "smp.StartsAps" }));
    }

    static MemoryStream EmitAssembly()
    {
        var assembly = new PersistedAssemblyBuilder(new AssemblyName("FakeKernel"), typeof(object).Assembly);
        var module = assembly.DefineDynamicModule("FakeKernel");

        var suiteAttribute = DefineAttribute(module, SelfTestCatalog.SuiteAttribute, typeof(string));
        var testAttribute = DefineAttribute(module, SelfTestCatalog.TestAttribute);

        DefineSuite(module, "HeapTests", suiteAttribute, "heap", testAttribute, tests: ["AllocatesZeroedMemory", "Frees"], helpers: ["Fill"]);
        DefineSuite(module, "SmpTests", suiteAttribute, "smp", testAttribute, tests: ["StartsAps"], helpers: []);
        // Test methods outside a suite type are not self-tests.
        DefineSuite(module, "NotASuite", suiteAttribute: null, "", testAttribute, tests: ["Orphan"], helpers: []);

        var image = new MemoryStream();
        assembly.Save(image);
        image.Position = 0;
        return image;
    }

    static ConstructorInfo DefineAttribute(ModuleBuilder module, string fullName, params Type[] parameters)
    {
        var type = module.DefineType(fullName, TypeAttributes.Public | TypeAttributes.Sealed, typeof(Attribute));
        var constructor = type.DefineConstructor(MethodAttributes.Public, CallingConventions.Standard, parameters);
        constructor.GetILGenerator().Emit(OpCodes.Ret);
        type.CreateType();
        return constructor;
    }

    static void DefineSuite(ModuleBuilder module, string typeName, ConstructorInfo? suiteAttribute, string suite,
                            ConstructorInfo testAttribute, string[] tests, string[] helpers)
    {
        var type = module.DefineType($"Kernel.SelfTests.{typeName}", TypeAttributes.Public | TypeAttributes.Abstract | TypeAttributes.Sealed);
        if (suiteAttribute is not null)
            type.SetCustomAttribute(new CustomAttributeBuilder(suiteAttribute, [suite]));
        foreach (var name in tests.Concat(helpers))
        {
            var method = type.DefineMethod(name, MethodAttributes.Public | MethodAttributes.Static, typeof(void), Type.EmptyTypes);
            method.GetILGenerator().Emit(OpCodes.Ret);
            if (tests.Contains(name))
                method.SetCustomAttribute(new CustomAttributeBuilder(testAttribute, []));
        }
        type.CreateType();
    }
}

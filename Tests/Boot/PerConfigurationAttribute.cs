using NUnit.Framework;
using NUnit.Framework.Interfaces;
using NUnit.Framework.Internal;
using NUnit.Framework.Internal.Builders;

namespace Kernel.Tests.Boot;

/// <summary>
/// Builds the test cases of an <see cref="InGuest"/> method with the fixture's configuration in each name
/// (<c>heap.AllocatesZeroedMemory [smp4-uefi]</c>): test runners print only the case name on a failure, and it
/// must say where the guest test failed. A method taking a string gets one case per in-guest self-test the configuration
/// runs (none without a serial port to report them).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PerConfigurationAttribute : NUnitAttribute, ITestBuilder, IImplyFixture
{
    readonly NUnitTestCaseBuilder builder = new();

    public IEnumerable<TestMethod> BuildFrom(IMethodInfo method, Test? suite)
    {
        var configuration = suite?.Arguments.OfType<BootConfiguration>().SingleOrDefault();
        var name = configuration?.Name ?? "?";
        if (method.GetParameters().Length == 0)
        {
            yield return Build(method, suite, $"{method.Name} [{name}]", []);
            yield break;
        }
        if (configuration is { SerialPort: false })
            yield break;
        foreach (var selfTest in SelfTestCatalog.ForKernel.Names.Where(selfTest => configuration?.Runs(selfTest) ?? true))
            yield return Build(method, suite, $"{selfTest} [{name}]", [selfTest]);
    }

    TestMethod Build(IMethodInfo method, Test? suite, string name, object[] arguments) =>
        builder.BuildTestMethod(method, suite, new TestCaseParameters(arguments) { TestName = name });
}

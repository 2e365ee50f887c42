using System;

namespace Kernel.Testing
{
    /// <summary>
    /// Marks a static class whose [SelfTest] methods form the suite <c>Name</c>. tools/SelfTestGenerator
    /// turns every such method into an entry of SelfTestRegistry at compile time, and the host boot
    /// tests read the same attributes from Kernel.dll's metadata: one list, two readers.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class)]
    public sealed class SelfTestSuiteAttribute : Attribute
    {
        public SelfTestSuiteAttribute(string name) { Name = name; }
        public string Name { get; }
    }

    /// <summary>An in-guest test: a `static void` method with no parameters, inside a [SelfTestSuite] class.</summary>
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class SelfTestAttribute : Attribute { }

    /// <summary>
    /// A suite's teardown: a `static void` method without parameters in a [SelfTestSuite] class, which the runner calls
    /// after each of the suite's tests, passed, failed or skipped, so that the next test starts on a clean system. At
    /// most one per suite, in any of its classes.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class SelfTestCleanupAttribute : Attribute { }

    public readonly unsafe struct SelfTestCase
    {
        public readonly string Suite;
        public readonly string Name;
        public readonly delegate*<void> Body;
        public readonly delegate*<void> Cleanup;   // null: the suite has none

        public SelfTestCase(string suite, string name, delegate*<void> body, delegate*<void> cleanup)
        {
            Suite = suite;
            Name = name;
            Body = body;
            Cleanup = cleanup;
        }
    }
}

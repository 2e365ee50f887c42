using Kernel.Testing;

namespace Kernel.SelfTests
{
    /// <summary>The C# features the corelib promises: statics, virtual and interface calls, casts, generics over structs.</summary>
    [SelfTestSuite("runtime")]
    public static class RuntimeTests
    {
        private abstract class Shape
        {
            public abstract ulong Area();
            public virtual string Kind => "shape";
        }

        private sealed class Square : Shape
        {
            private readonly ulong _side;
            public Square(ulong side) { _side = side; }
            public override ulong Area() => _side * _side;
            public override string Kind => "square";
        }

        private sealed class Rectangle : Shape
        {
            public ulong Width, Height;
            public override ulong Area() => Width * Height;
        }

        private interface ICounter { int Next(); }

        private sealed class Counter : ICounter
        {
            private int _value;
            public int Next() => ++_value;
        }

        private struct Pair<T> where T : struct
        {
            public T First, Second;
            public Pair(T first, T second) { First = first; Second = second; }
            public Pair<T> Swapped() => new Pair<T>(Second, First);
        }

        private static readonly string[] s_names = { "alpha", "beta" };
        private static int s_counter = 41;
        private static int s_runs;

        [SelfTest]
        public static void VirtualCalls()
        {
            Shape[] shapes = { new Square(3), new Rectangle { Width = 2, Height = 5 } };
            ulong total = 0;
            for (int i = 0; i < shapes.Length; i++) total += shapes[i].Area();
            Assert.Equal(19ul, total, "sum of areas");
            Assert.Equal("square", shapes[0].Kind, "override");
            Assert.Equal("shape", shapes[1].Kind, "base implementation");
        }

        private sealed class Doubler : ICounter
        {
            private int _value = 1;
            public int Next() => _value *= 2;
        }

        [SelfTest]
        public static void InterfaceCalls()
        {
            ICounter[] counters = { new Counter(), new Doubler(), new Counter() };
            int total = 0;
            for (int round = 0; round < 3; round++)
                for (int i = 0; i < counters.Length; i++) total += counters[i].Next();
            Assert.Equal(26ul, (ulong)total, "each implementation is called through the interface");
        }

        [SelfTest]
        public static void CastsAndTypeTests()
        {
            object value = new Square(2);
            Assert.True(value is Shape, "is base class");
            Assert.True(value is Square, "is exact class");
            Assert.False(value is Rectangle, "is not a sibling");
            Assert.True(value as Rectangle == null, "as a sibling is null");
            object counter = new Counter();
            Assert.True(counter is ICounter, "is interface");
            object boxed = 5;
            Assert.True(boxed is int, "boxed int");
        }

        [SelfTest]
        public static void GenericsOverStructs()
        {
            var pair = new Pair<ulong>(1, 2).Swapped();
            Assert.Equal(2ul, pair.First, "first");
            var bytes = new Pair<byte>(7, 9).Swapped();
            Assert.Equal(7ul, bytes.Second, "second");
        }

        [SelfTest]
        public static void StaticsAreInitialised()
        {
            Assert.Equal("beta", s_names[1], "static readonly array");
            s_runs++;   // the shell may run the test again
            s_counter++;
            Assert.Equal(41ul + (ulong)s_runs, (ulong)s_counter, "mutable static, 41 at start and one more each run");
        }
    }
}

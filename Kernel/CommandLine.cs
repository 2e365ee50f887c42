using Kernel.Lib;

namespace Kernel
{
    /// <summary>A kernel option the kernel understands, with its help text (printed by the shell's help later).</summary>
    public readonly struct KnownOption
    {
        public readonly string Name;
        public readonly bool TakesValue;
        public readonly bool ValueOptional;
        public readonly string Help;

        public KnownOption(string name, bool takesValue, bool valueOptional, string help)
        {
            Name = name;
            TakesValue = takesValue;
            ValueOptional = valueOptional;
            Help = help;
        }
    }

    /// <summary>
    /// The kernel command line: space-separated `name` or `name=value` words. Words the kernel does not
    /// know, or that lack a required value, are kept aside as warnings so boot can log each by name and
    /// carry on with defaults. Later words override earlier ones. Pure: compiled by the host tests too.
    /// </summary>
    public sealed class CommandLine
    {
        public static readonly KnownOption[] Known =
        {
            new KnownOption("selftest", true, true, "run the in-guest self-tests (all, or those whose suite.name starts with one of the comma-separated prefixes), then exit QEMU"),
            new KnownOption("bench", true, true, "run the in-guest benchmarks (all, or the group the value starts: smp, locks, alternatives, ipi, processes, gc, hotplug), print a table and a BENCH JSON line, then exit QEMU"),
            new KnownOption("loglevel", true, false, "error | warn | info | debug (default info)"),
            new KnownOption("maxcpus", true, false, "start at most N CPUs, the boot CPU included (N >= 1)"),
            new KnownOption("nosmp", false, false, "run on the boot CPU alone"),
            new KnownOption("acpi", true, false, "off: ignore the firmware's ACPI tables (boot CPU only, PIT calibration, no I/O APIC routes)"),
            new KnownOption("nox2apic", false, false, "run the local APICs in xAPIC mode even where the CPU offers x2APIC (unless the firmware locked x2APIC or an APIC ID needs it)"),
            new KnownOption("pvlocks", true, false, "on | off: lock waits halt after a short spin until the releaser kicks them (default: on under a hypervisor, CPUID.01H:ECX[31])"),
            new KnownOption("pvlocks.spin", true, false, "with pvlocks: how many microseconds a lock waiter spins before it halts (default 20; the waiter next in line 8 times as long)"),
            new KnownOption("noalternatives", false, false, "leave the code exactly as built: no lock-prefix or CPU-feature patching"),
            new KnownOption("hotplug.selftest", true, false, "after each CPU hot-plug event, run the self-tests whose suite.name starts with the value (QEMU keeps running)"),
            new KnownOption("hotplug.fail", true, false, "test-only: make the named CPU hot-plug step fail once (e.g. take-offline, switch-to-smp)"),
            new KnownOption("torture.transitions", true, false, "how many CPU downs and ups selftest=hotplug-torture makes (default 10)"),
            new KnownOption("torture.seconds", true, false, "how long selftest=locktorture runs (default 1 second)"),
            new KnownOption("heap.cycles", true, false, "how many processes selftest=gc.ThousandsOfProcessesGiveEveryPageBack starts and reaps (default 2000)"),
            new KnownOption("test.double-lock", false, false, "test-only: make harness.Canary take a spinlock it holds (a debug-build panic)"),
            new KnownOption("test.fail", false, false, "test-only: make the self-test harness.Canary fail"),
            new KnownOption("test.panic", false, false, "test-only: make the self-test harness.Canary panic"),
            new KnownOption("test.ap-fault", false, false, "test-only: make harness.Canary run an invalid opcode on CPU 1, uncaught"),
            new KnownOption("test.console-fault", false, false, "test-only: make harness.Canary read address 0 while holding the console lock, uncaught"),
            new KnownOption("test.bsp-fault", false, false, "test-only: make harness.Canary read address 0 on CPU 0, uncaught"),
            new KnownOption("test.exhaust-heap", false, false, "test-only: make harness.Canary allocate from the kernel heap until it runs out"),
            new KnownOption("test.exhaust-pages", false, false, "test-only: make harness.Canary take physical pages until none is left"),
            new KnownOption("test.ghost-ap", true, false, "test-only: also send INIT-SIPI-SIPI to this APIC ID, which no CPU has, at boot"),
            new KnownOption("test.call-sequence", true, false, "test-only: start every cross-CPU call slot at this sequence number (2147483547 crosses the 2^31 wrap within 101 calls)"),
            new KnownOption("test.late-ap", false, false, "test-only: the first AP to arrive waits until the boot CPU gave up on it (arrival time-out: 10 s under a hypervisor)"),
            new KnownOption("test.arrival-window", false, false, "test-only: each AP, once online, serves calls until it has served one (up to 10 s) before it takes the big kernel lock"),
            new KnownOption("test.straggler", false, false, "test-only: the first CPU taken down leaves the online set but never reports dead"),
            new KnownOption("test.keys", false, false, "test-only: keyboard.TypedKeysArrive waits (up to 60 s) for a host to type its keys"),
        };

        private readonly string[] _names;
        private readonly string[] _values;
        private readonly int _count;

        public string[] Warnings { get; }
        public string Text { get; }

        private CommandLine(string text, string[] names, string[] values, int count, string[] warnings)
        {
            Text = text;
            _names = names;
            _values = values;
            _count = count;
            Warnings = warnings;
        }

        public static CommandLine Parse(string text)
        {
            text ??= "";
            int capacity = 1;
            for (int i = 0; i < text.Length; i++) if (text[i] == ' ') capacity++;
            var names = new string[capacity];
            var values = new string[capacity];
            var warnings = new string[capacity];
            int count = 0, warningCount = 0;

            int position = 0;
            while (position < text.Length)
            {
                while (position < text.Length && IsSpace(text[position])) position++;
                int start = position;
                while (position < text.Length && !IsSpace(text[position])) position++;
                if (position == start) break;

                string word = text.Substring(start, position - start);
                int equals = word.IndexOf('=');
                string name = equals < 0 ? word : word.Substring(0, equals);
                string value = equals < 0 ? null : word.Substring(equals + 1);

                int known = Find(name);
                if (known < 0)
                    warnings[warningCount++] = TextBuffer.Of($"unknown kernel option '{name}' ignored");
                else if (Known[known].TakesValue && value == null && !Known[known].ValueOptional)
                    warnings[warningCount++] = TextBuffer.Of($"kernel option '{name}' needs a value: ignored");
                else if (!Known[known].TakesValue && value != null)
                    warnings[warningCount++] = TextBuffer.Of($"kernel option '{name}' takes no value: '{value}' ignored");
                else
                {
                    names[count] = name;
                    values[count] = value;
                    count++;
                }
            }

            var trimmed = new string[warningCount];
            for (int i = 0; i < warningCount; i++) trimmed[i] = warnings[i];
            return new CommandLine(text, names, values, count, trimmed);
        }

        public bool Has(string name) => IndexOf(name) >= 0;

        /// <summary>The option's value (null when given without one); false when the option is absent.</summary>
        public bool TryGetValue(string name, out string value)
        {
            int index = IndexOf(name);
            value = index >= 0 ? _values[index] : null;
            return index >= 0;
        }

        private int IndexOf(string name)
        {
            for (int i = _count - 1; i >= 0; i--)
                if (_names[i] == name) return i;
            return -1;
        }

        private static int Find(string name)
        {
            for (int i = 0; i < Known.Length; i++)
                if (Known[i].Name == name) return i;
            return -1;
        }

        private static bool IsSpace(char c) => c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }
}

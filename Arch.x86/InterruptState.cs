namespace Kernel.Arch
{
    /// <summary>Whether interrupts were enabled before a section disabled them (RFLAGS.IF, SDM Vol. 1 §3.4.3.3).</summary>
    public readonly struct InterruptState
    {
        private const ulong InterruptFlag = 1UL << 9;
        private readonly bool _wasEnabled;

        private InterruptState(bool wasEnabled) { _wasEnabled = wasEnabled; }

        public static InterruptState Disable()
        {
            bool enabled = Enabled;
            CpuNative.DisableInterrupts();
            return new InterruptState(enabled);
        }

        public static bool Enabled => (CpuNative.ReadRflags() & InterruptFlag) != 0;

        public bool WasEnabled => _wasEnabled;

        public void Restore()
        {
            if (_wasEnabled) CpuNative.EnableInterrupts();
        }
    }
}

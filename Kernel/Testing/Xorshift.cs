using Kernel.Proc;

namespace Kernel.Testing
{
    /// <summary>
    /// Marsaglia's xorshift64 (shifts 13, 7, 17): the torture tests' random choices, cheap enough for a lock's inner
    /// loop and reproducible from the seed. Never yields 0 from a non-zero state; a zero seed becomes 1. It touches only
    /// its own state, so process code may use it too.
    /// </summary>
    [ProcessApi]
    public struct Xorshift
    {
        private ulong _state;

        public Xorshift(ulong seed) { _state = seed == 0 ? 1 : seed; }

        public ulong Next()
        {
            _state ^= _state << 13;
            _state ^= _state >> 7;
            _state ^= _state << 17;
            return _state;
        }
    }
}

using Kernel.Arch;
using Kernel.Servers;

namespace Kernel.Testing
{
    /// <summary>
    /// Waiting for a condition with a bound: <c>while (!done) if (!poll.Wait()) fail;</c>. Between looks the caller sleeps
    /// through the clock server, so a kernel task that waits never keeps its CPU from the processes it waits for.
    /// </summary>
    public readonly struct PollDeadline
    {
        public const ulong IntervalMicros = 1_000;

        private readonly ulong _deadline;
        private readonly ulong _intervalMicros;

        public PollDeadline(ulong timeoutMicros, ulong intervalMicros = IntervalMicros)
        {
            _deadline = Tsc.DeadlineAfter(timeoutMicros);
            _intervalMicros = intervalMicros;
        }

        public bool Expired => Tsc.Read() > _deadline;

        /// <summary>Sleeps one interval; false, without sleeping, once the deadline has passed.</summary>
        public bool Wait()
        {
            if (Expired) return false;
            ClockServer.SleepFor(_intervalMicros);
            return true;
        }
    }
}

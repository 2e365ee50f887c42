using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KernelRunner;

/// <summary>QEMU answered a command with an error.</summary>
public sealed class QmpException(string command, string errorClass, string description)
    : Exception($"QMP {command}: {errorClass}: {description}")
{
    public string ErrorClass { get; } = errorClass;
}

/// <summary>An asynchronous QMP event (DEVICE_DELETED, SHUTDOWN, ...) and when it reached the client's clock.</summary>
public sealed record QmpEvent(string Name, JsonElement Data, TimeSpan ReceivedAt)
{
    /// <summary>A DEVICE_DELETED event's "device" (the id given to device_add, absent for unnamed devices) or "path".</summary>
    public string? Device => Data.ValueKind == JsonValueKind.Object && Data.TryGetProperty("device", out var device) ? device.GetString() : null;

    public string? Path => Data.ValueKind == JsonValueKind.Object && Data.TryGetProperty("path", out var path) ? path.GetString() : null;
}

/// <summary>One slot of query-hotpluggable-cpus: the device type and the properties device_add needs to fill it.</summary>
public sealed record HotpluggableCpu(string Type, int SocketId, int CoreId, int ThreadId, string? QomPath)
{
    /// <summary>QEMU names a QOM path only for slots holding a CPU.</summary>
    public bool Present => QomPath is not null;
}

/// <summary>
/// A QEMU Machine Protocol client over a unix socket: one command at a time, each reply awaited with a time-out,
/// events collected as they arrive so a caller can wait for one it provoked earlier.
/// </summary>
public sealed class QmpClient : IDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long a command waits for its reply unless the call says otherwise: the time-out it was connected with.</summary>
    public TimeSpan ReplyTimeout { get; }

    readonly Socket socket;
    readonly StreamWriter writer;
    readonly Stopwatch clock;
    readonly BlockingCollection<JsonElement> replies = new();
    readonly List<QmpEvent> events = [];
    readonly Lock commandLock = new();
    long nextCommandId;
    Exception? readerFailure;

    QmpClient(Socket socket, Stopwatch clock, TimeSpan replyTimeout)
    {
        ReplyTimeout = replyTimeout;
        this.socket = socket;
        this.clock = clock;
        var stream = new NetworkStream(socket, ownsSocket: false);
        writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
        var reader = new StreamReader(stream, Encoding.UTF8);
        new Thread(() => ReadMessages(reader)) { IsBackground = true, Name = "QMP reader" }.Start();
    }

    /// <summary>
    /// Connects to QEMU's <c>-qmp unix:PATH,server=on,wait=off</c> socket, retrying while QEMU is still creating it,
    /// reads the greeting and sends qmp_capabilities, without which QEMU accepts no other command. <paramref name="serverGone"/> ends the retries early
    /// (QEMU exited); <paramref name="clock"/> stamps events, so a caller can compare them with its own timings.
    /// </summary>
    public static QmpClient Connect(string socketPath, TimeSpan timeout, Stopwatch? clock = null, Func<bool>? serverGone = null)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                socket.Connect(new UnixDomainSocketEndPoint(socketPath));
            }
            catch (SocketException error)
            {
                // Not created yet, or not listening yet.
                socket.Dispose();
                if (serverGone?.Invoke() == true || waited.Elapsed > timeout)
                    throw new TimeoutException($"no QMP server at {socketPath} after {waited.Elapsed.TotalSeconds:F1} s", error);
                Thread.Sleep(20);
                continue;
            }

            var client = new QmpClient(socket, clock ?? Stopwatch.StartNew(), timeout);
            try
            {
                var greeting = client.NextReply("greeting", timeout);
                if (!greeting.TryGetProperty("QMP", out _))
                    throw new IOException($"not a QMP greeting: {greeting}");
                client.Execute("qmp_capabilities", timeout: timeout);
                return client;
            }
            catch
            {
                client.Dispose();
                throw;
            }
        }
    }

    /// <summary>Events received so far, oldest first; <see cref="WaitForEvent"/> takes an index into this list.</summary>
    public IReadOnlyList<QmpEvent> Events
    {
        get
        {
            lock (events)
                return events.ToArray();
        }
    }

    public int EventCount
    {
        get
        {
            lock (events)
                return events.Count;
        }
    }

    /// <summary>Sends a command and returns its "return" value; throws <see cref="QmpException"/> on an error reply.</summary>
    public JsonElement Execute(string command, JsonObject? arguments = null, TimeSpan? timeout = null)
    {
        lock (commandLock)
        {
            var id = ++nextCommandId;
            var message = new JsonObject { ["execute"] = command, ["id"] = id };
            if (arguments is not null)
                message["arguments"] = arguments.DeepClone();
            writer.WriteLine(message.ToJsonString());

            while (true)
            {
                var reply = NextReply(command, timeout ?? ReplyTimeout);
                // A reply to an earlier command that timed out on our side is stale, not ours.
                if (!reply.TryGetProperty("id", out var replyId) || replyId.GetInt64() != id)
                    continue;
                if (reply.TryGetProperty("error", out var error))
                    throw new QmpException(command, error.GetProperty("class").GetString() ?? "", error.GetProperty("desc").GetString() ?? "");
                return reply.GetProperty("return");
            }
        }
    }

    /// <summary>Plugs a CPU into a slot of <see cref="QueryHotpluggableCpus"/>; <paramref name="driver"/> is the slot's type.</summary>
    public void AddCpu(string id, int socketId, int coreId, int threadId, string driver) =>
        Execute("device_add", new JsonObject
        {
            ["driver"] = driver,
            ["id"] = id,
            ["socket-id"] = socketId,
            ["core-id"] = coreId,
            ["thread-id"] = threadId,
        });

    /// <summary>
    /// Asks for an unplug. It completes only when the guest ejects the device (a DEVICE_DELETED event); for a CPU
    /// under TCG, QEMU (7.2 and 10.0) sends that event only for the CPU's <c>lapic</c> child, never for the CPU itself.
    /// </summary>
    public void DeleteDevice(string id) => Execute("device_del", new JsonObject { ["id"] = id });

    /// <summary>Every CPU slot, ordered by socket, core and thread (QEMU lists them in reverse).</summary>
    public IReadOnlyList<HotpluggableCpu> QueryHotpluggableCpus() =>
        Execute("query-hotpluggable-cpus").EnumerateArray()
            .Select(slot =>
            {
                var props = slot.GetProperty("props");
                return new HotpluggableCpu(
                    slot.GetProperty("type").GetString()!,
                    props.GetProperty("socket-id").GetInt32(),
                    props.GetProperty("core-id").GetInt32(),
                    props.GetProperty("thread-id").GetInt32(),
                    slot.TryGetProperty("qom-path", out var path) ? path.GetString() : null);
            })
            .OrderBy(slot => slot.SocketId).ThenBy(slot => slot.CoreId).ThenBy(slot => slot.ThreadId)
            .ToArray();

    /// <summary>Ends QEMU. It may close the connection before its reply arrives; that counts as done.</summary>
    public void Quit()
    {
        try
        {
            Execute("quit");
        }
        catch (IOException)
        {
        }
    }

    /// <summary>
    /// The first event from index <paramref name="fromIndex"/> on that <paramref name="match"/> accepts, or null
    /// after <paramref name="timeout"/> or once the connection has closed.
    /// </summary>
    public QmpEvent? WaitForEvent(Func<QmpEvent, bool> match, int fromIndex, TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        lock (events)
        {
            for (var next = fromIndex; ; next++)
            {
                while (next >= events.Count)
                {
                    var left = timeout - waited.Elapsed;
                    if (replies.IsAddingCompleted || left <= TimeSpan.Zero)
                        return null;
                    Monitor.Wait(events, left);
                }
                if (match(events[next]))
                    return events[next];
            }
        }
    }

    public void Dispose()
    {
        // Closing the socket ends the reader thread, which completes the reply queue.
        writer.Dispose();
        socket.Dispose();
    }

    JsonElement NextReply(string awaited, TimeSpan timeout)
    {
        // Returns at once, empty-handed, once the reader has completed the queue.
        if (replies.TryTake(out var reply, timeout))
            return reply;
        if (replies.IsAddingCompleted)
            throw new IOException($"the QMP connection closed while {awaited} was pending{(readerFailure is null ? "" : $" ({readerFailure.Message})")}");
        throw new TimeoutException($"no QMP reply to {awaited} within {timeout.TotalSeconds:F0} s");
    }

    void ReadMessages(StreamReader reader)
    {
        try
        {
            while (reader.ReadLine() is { } line)
            {
                if (line.Length == 0)
                    continue;
                using var document = JsonDocument.Parse(line);
                var message = document.RootElement.Clone();
                if (message.TryGetProperty("event", out var name))
                {
                    var data = message.TryGetProperty("data", out var value) ? value : default;
                    lock (events)
                    {
                        events.Add(new QmpEvent(name.GetString()!, data, clock.Elapsed));
                        Monitor.PulseAll(events);
                    }
                }
                else
                {
                    replies.Add(message);
                }
            }
        }
        catch (Exception error)
        {
            // The socket closed under us (QEMU exited, or Dispose) or QEMU sent something unreadable. Either way the
            // connection is over, and an exception escaping this thread would take the whole host process down.
            readerFailure = error;
        }
        finally
        {
            replies.CompleteAdding();
            lock (events)
                Monitor.PulseAll(events);
        }
    }
}

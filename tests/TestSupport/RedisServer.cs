using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;

namespace MessengerAutoReply.TestSupport;

/// <summary>
/// A real redis-server (Debian's) on a free loopback port. By default nothing is persisted (the run's shared
/// server: tests isolate by ServiceId / key prefix); <c>durable</c> runs it as production should
/// (<c>appendonly yes</c>, <c>appendfsync always</c>) in its own folder, for tests that stop and start it.
/// <see cref="StopAsync"/> / <see cref="StartAsync"/> keep the port and the data.
/// </summary>
public class RedisServer : IAsyncDisposable
{
    private readonly TempDir? _data;
    private ChildProcess? _process;

    public RedisServer()
        : this(durable: false)
    {
    }

    protected RedisServer(bool durable)
    {
        Durable = durable;
        _data = durable ? new TempDir("mar-redis") : null;
    }

    public bool Durable { get; }

    public int Port { get; private set; }

    public string Url => $"127.0.0.1:{Port}";

    /// <summary>A private server the caller owns (and disposes).</summary>
    public static async Task<RedisServer> StartNewAsync(bool durable = false)
    {
        var server = new RedisServer(durable);
        await server.InitializeAsync();
        return server;
    }

    public async ValueTask InitializeAsync()
    {
        Port = FreePort.Next();
        await StartAsync();
    }

    public async Task StartAsync()
    {
        if (_process is { HasExited: false })
        {
            return;
        }
        var binary = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("redis-server is not installed: run ./test.sh, which installs it (apt-get install redis-server).");
        List<string> args = ["--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--protected-mode", "no", "--save", ""];
        args.AddRange(_data is null
            ? ["--appendonly", "no"]
            : ["--appendonly", "yes", "--appendfsync", "always", "--dir", _data.Path]);
        _process = ChildProcess.Start("redis-server", binary, args);
        var deadline = Stopwatch.GetTimestamp() + 10 * Stopwatch.Frequency;
        while (true)
        {
            try
            {
                await using var connection = await ConnectionMultiplexer.ConnectAsync($"{Url},connectTimeout=500");
                await connection.GetDatabase().PingAsync();
                return;
            }
            catch (RedisConnectionException) when (Stopwatch.GetTimestamp() < deadline && !_process.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>An outage: the process is killed outright (SIGKILL); port and data stay for <see cref="StartAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
            _process = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _data?.Dispose();
        GC.SuppressFinalize(this);
    }
}

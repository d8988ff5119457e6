using MessengerAutoReply.Chats;
using MessengerAutoReply.Delivery;
using MessengerAutoReply.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace MessengerAutoReply.Tests.Infrastructure;

/// <summary>
/// A 3-silo Orleans TestingHost cluster with the service's real runtime (Redis grain storage and pending-work
/// registry on the run's redis-server, memory streams, SQLite archive). Built once per test class.
/// </summary>
public class ChatClusterFixture(RedisFixture redis) : IAsyncLifetime
{
    // Silo configurators are static by nature; tests reach the gateway through this instance.
    private static readonly AsyncLocal<ChatClusterFixture?> Building = new();
    private readonly TempDir _dataDir = new();

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public RecordingGateway Gateway { get; } = new();

    public StaticMediaFetcher Fetcher { get; } = new();

    public string ServiceId { get; } = "test-" + Guid.NewGuid().ToString("N")[..8];

    public ServiceSettings Settings { get; private set; } = null!;

    /// <summary>False where a test configures a real platform adapter for "telegram" instead.</summary>
    protected virtual bool UseRecordingGateway => true;

    protected virtual Task<IDictionary<string, string?>> ExtraSettingsAsync() => Task.FromResult<IDictionary<string, string?>>(new Dictionary<string, string?>());

    public async ValueTask InitializeAsync()
    {
        var extra = await ExtraSettingsAsync();
        Settings = ServiceSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["REDIS_URL"] = redis.Url,
            ["DATA_DIR"] = _dataDir.Path,
            ["ORLEANS_SERVICE_ID"] = ServiceId,
            ["PENDING_SWEEP_INTERVAL"] = "500ms",
            ["RETRY_BACKOFF_MIN"] = "50ms",
            ["RETRY_BACKOFF_MAX"] = "500ms",
        }.Concat(extra)).Build());
        var builder = new InProcessTestClusterBuilder(3);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMessengerRuntime(Settings);
            if (UseRecordingGateway)
            {
                silo.Services.AddSingleton<IMessengerGateway>(Gateway);
            }
            silo.Services.AddSingleton<MessengerAutoReply.Media.IMediaFetcher>(Fetcher);
            silo.Services.AddMessengerSiloWorkers();
        });
        builder.ConfigureHost(host => host.Configuration["Orleans:ServiceId"] = ServiceId);
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public virtual async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        _dataDir.Dispose();
        GC.SuppressFinalize(this);
    }
}

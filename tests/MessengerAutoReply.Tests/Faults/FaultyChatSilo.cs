using MessengerAutoReply.Chats;
using MessengerAutoReply.Delivery;
using MessengerAutoReply.Hosting;
using MessengerAutoReply.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;
using Orleans.TestingHost;

namespace MessengerAutoReply.Tests.Faults;

/// <summary>
/// One embedded silo (SQLite grain state in a temp data folder) whose chat storage can be made to fail and
/// whose completion reports back to the chat grain can be dropped, as a timed-out grain call would lose them.
/// </summary>
public class FaultyChatSilo : IAsyncLifetime
{
    private readonly TempDir _dataDir = new();

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public RecordingGateway Gateway { get; } = new();

    public FlakyGrainStorage Storage { get; private set; } = null!;

    /// <summary>Method names of IChatWorkReports whose next call is refused with a TimeoutException, once each.</summary>
    public DroppedReports Drops { get; } = new();

    /// <summary>Settings a variant adds or overrides.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> Settings => [];

    public async ValueTask InitializeAsync()
    {
        var settings = ServiceSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DATA_DIR"] = _dataDir.Path,
            ["PENDING_SWEEP_INTERVAL"] = "500ms",
            ["RETRY_BACKOFF_MIN"] = "50ms",
            ["RETRY_BACKOFF_MAX"] = "200ms",
            ["DELIVERY_TIMEOUT"] = "2s",
            ["BREVO_QUEUE_MAX_WAIT"] = "1s",
        }).AddInMemoryCollection(Settings).Build());
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            // The in-process cluster runs this callback in this process: it reaches this fixture's instance directly.
            var self = this;
            silo.AddMessengerRuntime(settings);
            // Registered last, so it is the chat store the grains get.
            silo.Services.AddKeyedSingleton<IGrainStorage>(StorageNames.Chats, (sp, _) =>
                self.Storage = new FlakyGrainStorage(new SqliteGrainStorage(settings.Hosting.GrainDatabase, sp.GetRequiredService<IGrainStorageSerializer>())));
            silo.Services.AddSingleton<IMessengerGateway>(self.Gateway);
            silo.Services.AddSingleton(self.Drops);
            silo.AddIncomingGrainCallFilter<DroppedReports.Filter>();
            silo.Services.AddMessengerSiloWorkers();
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        _dataDir.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Grain storage that fails every write while <see cref="FailWrites"/> is on.</summary>
public sealed class FlakyGrainStorage(IGrainStorage inner) : IGrainStorage
{
    private volatile bool _failWrites;

    public bool FailWrites { get => _failWrites; set => _failWrites = value; }

    private int _failedWrites;

    public int FailedWrites => Volatile.Read(ref _failedWrites);

    private int _writes;

    /// <summary>Writes that reached the inner storage (and completed).</summary>
    public int Writes => Volatile.Read(ref _writes);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ReadStateAsync(stateName, grainId, grainState);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (_failWrites)
        {
            Interlocked.Increment(ref _failedWrites);
            throw new IOException("disk I/O error (injected)");
        }
        return WriteAsync(stateName, grainId, grainState);
    }

    private async Task WriteAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await inner.WriteStateAsync(stateName, grainId, grainState);
        Interlocked.Increment(ref _writes);
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ClearStateAsync(stateName, grainId, grainState);
}

public sealed class DroppedReports
{
    private readonly Dictionary<string, int> _armed = [];

    private readonly Dictionary<string, int> _dropped = [];

    public int Dropped(string method)
    {
        lock (_armed) return _dropped.GetValueOrDefault(method);
    }

    public void DropNext(string method, int times = 1)
    {
        lock (_armed) _armed[method] = _armed.GetValueOrDefault(method) + times;
    }

    private bool Take(string method)
    {
        lock (_armed)
        {
            if (_armed.GetValueOrDefault(method) <= 0) return false;
            _armed[method]--;
            _dropped[method] = _dropped.GetValueOrDefault(method) + 1;
            return true;
        }
    }

    public sealed class Filter(DroppedReports drops) : IIncomingGrainCallFilter
    {
        public Task Invoke(IIncomingGrainCallContext context)
        {
            if (context.InterfaceMethod?.DeclaringType == typeof(IChatWorkReports) && drops.Take(context.InterfaceMethod.Name))
            {
                // Never reaches the grain: the caller sees what a timed-out call looks like.
                throw new TimeoutException($"{context.InterfaceMethod.Name} timed out (injected)");
            }
            return context.Invoke();
        }
    }
}

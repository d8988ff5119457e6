using MessengerAutoReply.Archive;
using MessengerAutoReply.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Runtime;
using StackExchange.Redis;

namespace MessengerAutoReply.ApiHost.Hosting;

/// <summary>
/// Readiness without load: the checks run in the background every HEALTH_REFRESH_INTERVAL and /health/ready
/// answers from the last results, so a probe (or a flood of them) never queries the archive or the cluster.
/// Each dependency is named: <c>orleans</c> (membership), <c>redis</c> (cluster mode), <c>pocketbase</c> or
/// <c>archive</c> (SQLite), with what is wrong in its description.
/// </summary>
public sealed partial class ReadinessMonitor(
    IServiceProvider services,
    ServiceSettings settings,
    ILogger<ReadinessMonitor> logger) : BackgroundService
{
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);
    private readonly Dictionary<string, HealthCheckResult> _results = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public TimeSpan Interval { get; } = new SettingsReader(settings.Configuration).Duration("HEALTH_REFRESH_INTERVAL", TimeSpan.FromSeconds(5));

    public bool UsesPocketBase => new SettingsReader(settings.Configuration).String("POCKET_BASE_URL") is not null;

    /// <summary>The checks this process runs, by name.</summary>
    public IReadOnlyList<string> Names =>
        [.. new[] { "orleans", settings.Hosting.ClusterMode ? "redis" : null, UsesPocketBase ? "pocketbase" : "archive" }.OfType<string>()];

    public HealthCheckResult Get(string name)
    {
        lock (_gate)
        {
            return _results.TryGetValue(name, out var result) ? result : HealthCheckResult.Unhealthy("Not checked yet (starting).");
        }
    }

    /// <summary>The first results before the host reports started, so a probe right after start gets real answers.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            // Stopped while starting (SIGTERM right after launch): the silo may never have become active, and
            // asking it would only fill the log with Orleans' placement retries.
            return;
        }
        await RefreshAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval > TimeSpan.Zero ? Interval : TimeSpan.FromSeconds(5));
        while (await WaitAsync(timer, stoppingToken))
        {
            await RefreshAsync(stoppingToken);
        }
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async Task RefreshAsync(CancellationToken ct)
    {
        var checks = new List<Task<(string, HealthCheckResult)>> { Run("orleans", CheckOrleansAsync, ct) };
        if (settings.Hosting.ClusterMode)
        {
            checks.Add(Run("redis", CheckRedisAsync, ct));
        }
        checks.Add(Run(UsesPocketBase ? "pocketbase" : "archive", CheckArchiveAsync, ct));
        foreach (var (name, result) in await Task.WhenAll(checks))
        {
            HealthCheckResult previous;
            lock (_gate)
            {
                previous = _results.TryGetValue(name, out var p) ? p : default;
                _results[name] = result;
            }
            if (previous.Status != result.Status)
            {
                LogChanged(name, result.Status, result.Description);
            }
        }
    }

    private static async Task<(string, HealthCheckResult)> Run(string name, Func<CancellationToken, Task<HealthCheckResult>> check, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(CheckTimeout);
            return (name, await check(timeout.Token).WaitAsync(timeout.Token));
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            return (name, name switch
            {
                "orleans" => HealthCheckResult.Unhealthy($"No silo answered within {CheckTimeout.TotalSeconds:0} s ({ex.GetType().Name})."),
                "redis" => HealthCheckResult.Unhealthy($"Redis does not answer ({ex.GetType().Name}): grain state cannot be written, webhooks are refused."),
                // Degraded, not Unhealthy: messages are still accepted into grain state and reach the archive
                // through the outbox later (decision 4); pulling this host out of rotation would refuse them.
                _ => HealthCheckResult.Degraded($"The archive ({name}) cannot be read ({ex.GetType().Name}); writes wait in the outbox."),
            });
        }
    }

    private async Task<HealthCheckResult> CheckOrleansAsync(CancellationToken ct)
    {
        var client = services.GetRequiredService<IClusterClient>();
        if (!settings.Hosting.ClusterMode)
        {
            await client.GetGrain<IHealthGrain>(0).PingAsync().AsTask().WaitAsync(ct);
            return HealthCheckResult.Healthy("The co-hosted silo answers.");
        }
        var hosts = await client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true, ct).WaitAsync(ct);
        return hosts.Count > 0
            ? HealthCheckResult.Healthy($"{hosts.Count} silos active.", new Dictionary<string, object> { ["silos"] = hosts.Count })
            : HealthCheckResult.Unhealthy("The membership table lists no active silo.");
    }

    private async Task<HealthCheckResult> CheckRedisAsync(CancellationToken ct)
    {
        var redis = services.GetRequiredService<IConnectionMultiplexer>();
        var latency = await redis.GetDatabase().PingAsync().WaitAsync(ct);
        return HealthCheckResult.Healthy($"Redis answers ({latency.TotalMilliseconds:0} ms).");
    }

    private async Task<HealthCheckResult> CheckArchiveAsync(CancellationToken ct)
    {
        await services.GetRequiredService<IChatArchive>().ListChatsAsync(new ChatQuery(1, 1), ct);
        return HealthCheckResult.Healthy("The archive answers.");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Readiness of {Check}: {Status} ({Description})")]
    private partial void LogChanged(string check, HealthStatus status, string? description);
}

/// <summary>One named dependency, answered from <see cref="ReadinessMonitor"/>'s last result.</summary>
public sealed class CachedHealthCheck(ReadinessMonitor monitor, string name) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(monitor.Get(name));
}

/// <summary>The archive backlog of this process's chats: healthy while writes flow, degraded while they fail.</summary>
public sealed class ArchiveBacklogHealthCheck(ArchiveBacklog backlog) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var pending = backlog.Pending;
        var failing = backlog.FailingChats;
        var data = new Dictionary<string, object> { ["backlog"] = pending, ["failingChats"] = failing };
        return Task.FromResult(failing > 0
            ? HealthCheckResult.Degraded($"{pending} archive writes pending; {failing} chats retrying after archive failures.", data: data)
            : HealthCheckResult.Healthy($"{pending} archive writes pending.", data));
    }
}

/// <summary>/health/ready as JSON, so the backlog and the reason for a degraded state are visible.</summary>
public static class HealthJson
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsJsonAsync(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString(),
                description = e.Value.Description,
                data = e.Value.Data.Count == 0 ? null : e.Value.Data,
            }),
        });
    }
}

using MessengerAutoReply.Archive;
using MessengerAutoReply.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace MessengerAutoReply.ApiHost.Hosting;

public sealed class OrleansHealthCheck(IClusterClient client) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await client.GetGrain<IHealthGrain>(0).PingAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy("No silo answered.", ex);
        }
    }
}

public sealed class ArchiveHealthCheck(IChatArchive archive) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await archive.ListChatsAsync(new ChatQuery(1, 1), cancellationToken).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex)
        {
            // Degraded, not Unhealthy: messages are still accepted into grain state and reach the archive
            // through the outbox later (decision 4); pulling this host out of rotation would refuse them.
            return HealthCheckResult.Degraded("The archive cannot be read.", ex);
        }
    }
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

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
            return HealthCheckResult.Unhealthy("The archive cannot be read.", ex);
        }
    }
}

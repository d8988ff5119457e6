using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Configuration;

namespace MessengerAutoReply.Tests.Cluster;

/// <summary>
/// The reverse proxy in front of the API hosts (Telegram's setWebhook takes one URL): YARP, round robin, with an
/// active health check on /health/live so a dead host leaves the rotation within about a second. Requests that
/// hit a host as it dies fail with 502, which Telegram answers by delivering again.
/// </summary>
public sealed class LoopbackProxy : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackProxy(WebApplication app, int port)
    {
        _app = app;
        Url = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri Url { get; }

    public static async Task<LoopbackProxy> StartAsync(IReadOnlyList<Uri> destinations, TimeSpan healthInterval)
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        var cluster = new ClusterConfig
        {
            ClusterId = "api",
            LoadBalancingPolicy = "RoundRobin",
            Destinations = destinations.Select((d, i) => (Key: $"api{i + 1}", Value: new DestinationConfig { Address = d.ToString() }))
                .ToDictionary(d => d.Key, d => d.Value),
            HealthCheck = new HealthCheckConfig
            {
                Active = new ActiveHealthCheckConfig
                {
                    Enabled = true,
                    Interval = healthInterval,
                    Timeout = healthInterval,
                    Policy = "ConsecutiveFailures",
                    Path = "/health/live",
                },
            },
            HttpRequest = new Yarp.ReverseProxy.Forwarder.ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromSeconds(30) },
        };
        var route = new RouteConfig { RouteId = "all", ClusterId = "api", Match = new RouteMatch { Path = "{**catch-all}" } };
        builder.Services.AddReverseProxy().LoadFromMemory([route], [cluster]);
        var app = builder.Build();
        app.MapReverseProxy();
        await app.StartAsync();
        return new LoopbackProxy(app, port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

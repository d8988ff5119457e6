using Microsoft.Extensions.DependencyInjection.Extensions;
using MessengerAutoReply.Hosting;
using MessengerAutoReply.Media;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Telemetry;

namespace MessengerAutoReply.Archive.PocketBase;

/// <summary>Where the PocketBase archive is and how the adapter talks to it (POCKET_BASE_URL and friends).</summary>
public sealed class PocketBaseOptions
{
    public const string HttpClientName = "pocketbase";

    public required Uri BaseUrl { get; init; }

    public required string Email { get; init; }

    public required string Password { get; init; }

    /// <summary>Log in again this long before the admin token expires, at most half its lifetime (POCKETBASE_TOKEN_REFRESH).</summary>
    public TimeSpan TokenRefresh { get; init; } = TimeSpan.FromHours(1);

    /// <summary>One HTTP attempt (POCKETBASE_TIMEOUT). A locked database answers only after ~96 s, so this cuts it short.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Pause between schema bootstrap attempts while PocketBase is unreachable (POCKETBASE_RETRY).</summary>
    public TimeSpan BootstrapRetry { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Null when POCKET_BASE_URL is not set; collects one error line per bad variable otherwise.</summary>
    public static PocketBaseOptions? Read(SettingsReader read)
    {
        if (read.String("POCKET_BASE_URL") is null)
        {
            return null;
        }
        var url = read.AbsoluteUri("POCKET_BASE_URL");
        var email = read.String("POCKETBASE_EMAIL");
        var password = read.String("POCKETBASE_PASSWORD");
        if (email is null)
        {
            read.Error("POCKETBASE_EMAIL", "required when POCKET_BASE_URL is set (an admin of that PocketBase)");
        }
        if (password is null)
        {
            read.Error("POCKETBASE_PASSWORD", "required when POCKET_BASE_URL is set");
        }
        var options = new PocketBaseOptions
        {
            BaseUrl = url ?? new Uri("http://invalid"),
            Email = email ?? "",
            Password = password ?? "",
            TokenRefresh = read.Duration("POCKETBASE_TOKEN_REFRESH", TimeSpan.FromHours(1)),
            RequestTimeout = read.Duration("POCKETBASE_TIMEOUT", TimeSpan.FromSeconds(30)),
            BootstrapRetry = read.Duration("POCKETBASE_RETRY", TimeSpan.FromSeconds(5)),
        };
        if (options.RequestTimeout < TimeSpan.FromMilliseconds(100))
        {
            read.Error("POCKETBASE_TIMEOUT", "must be at least 100ms");
        }
        if (options.BootstrapRetry <= TimeSpan.Zero)
        {
            read.Error("POCKETBASE_RETRY", "must be greater than zero");
        }
        return options;
    }
}

public static class PocketBaseSetup
{
    /// <summary>
    /// With POCKET_BASE_URL set, PocketBase becomes the archive and the media store (registered before the
    /// SQLite/file defaults, which are TryAdd). Without it, nothing changes.
    /// </summary>
    public static IServiceCollection AddPocketBaseArchive(this IServiceCollection services, ServiceSettings settings)
    {
        if (settings.PocketBase is not { } options)
        {
            return services;
        }
        services.AddValidatedOptions(options);
        // The archive reports refusals to the backlog; the silo registers the same one (TryAdd: whoever is first).
        services.TryAddSingleton(sp => new ArchiveBacklog(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        // One line per request and attempt at Information would drown the service's own log.
        services.Configure<LoggerFilterOptions>(o => o.AddFilter($"System.Net.Http.HttpClient.{PocketBaseOptions.HttpClientName}", LogLevel.Warning));
        // Polly logs every retry as a warning with a stack trace; while PocketBase is down that is a flood. The
        // grain's own one-line warning per failed batch says it already.
        services.Configure<TelemetryOptions>(o =>
        {
            var inner = o.SeverityProvider;
            o.SeverityProvider = args => args.Source.PipelineName?.StartsWith(PocketBaseOptions.HttpClientName, StringComparison.Ordinal) == true
                ? ResilienceEventSeverity.Debug
                : inner?.Invoke(args) ?? args.Event.Severity;
        });
        services.AddHttpClient(PocketBaseOptions.HttpClientName, client =>
            {
                client.BaseAddress = options.BaseUrl;
                // The resilience pipeline owns every timeout.
                client.Timeout = Timeout.InfiniteTimeSpan;
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // Many chats write at once: a pool of keep-alive connections (PocketBase peaks at 8-32 in flight).
                MaxConnectionsPerServer = 32,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                ConnectTimeout = TimeSpan.FromSeconds(5),
            })
            .AddResilienceHandler("pocketbase", pipeline =>
            {
                pipeline.AddTimeout(options.RequestTimeout * 3 + TimeSpan.FromSeconds(2));
                // Retrying POSTs is safe here: every create carries our deterministic id, and "id already exists"
                // is answered by an update. The retries are few and short: the grain's outbox is the long-term retry.
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = 2,
                    Delay = TimeSpan.FromMilliseconds(200),
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                });
                pipeline.AddTimeout(options.RequestTimeout);
            });
        services.AddSingleton<PocketBaseClient>();
        services.AddSingleton<PocketBaseSchema>();
        services.AddSingleton<PocketBaseArchive>();
        services.AddSingleton<IChatArchive>(sp => sp.GetRequiredService<PocketBaseArchive>());
        services.AddSingleton<IMediaStore, PocketBaseMediaStore>();
        services.AddHostedService<PocketBaseBootstrap>();
        return services;
    }
}

using MessengerAutoReply.ApiHost.Api;
using MessengerAutoReply.ApiHost.Brevo;
using MessengerAutoReply.ApiHost.Operators;
using MessengerAutoReply.ApiHost.Stream;
using MessengerAutoReply.ApiHost.Telegram;
using MessengerAutoReply.Hosting;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Configuration;
using StackExchange.Redis;

namespace MessengerAutoReply.ApiHost.Hosting;

/// <summary>
/// Builds the API host: REST, SSE, health, and either a co-hosted silo (embedded default) or an Orleans
/// client of a Redis-clustered silo fleet (REDIS_URL set). Tests build it the same way with overrides.
/// </summary>
public static partial class ApiHostApp
{
    public static WebApplication Build(string[] args, IDictionary<string, string?>? overrides = null, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }
        StreamOptions streamOptions = null!;
        ApiKeyOptions keySettings = null!;
        ForwardedHeadersOptions? trustedProxies = null;
        LoginOptions login = null!;
        // One pass: every bad variable of the API host is one line of the same start (ServiceSettings.Load).
        var settings = ServiceSettings.Load(builder.Configuration, read =>
        {
            streamOptions = ReadStreamOptions(read);
            keySettings = ReadApiKey(read);
            trustedProxies = TrustedProxies.Read(read);
            login = LoginOptions.Read(read);
        });
        var apiKey = ResolveApiKey(settings, keySettings);

        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        // These categories log full request URLs, and ?apiKey= is a secret (decision 15); RequestLog logs a redacted line.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Routing", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Http.Result", LogLevel.Warning);
        builder.Logging.AddFilter("Orleans", LogLevel.Warning);
        builder.Logging.AddFilter("Polly", LogLevel.Warning);
        // The key ring is kept unencrypted at rest (data folder 0700 / Redis), by decision (docs/decisions.md, #17):
        // Data Protection's warning about it at every start says nothing new.
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        builder.Logging.QuietStartAbort();

        builder.WebHost.UseKestrel(o =>
        {
            o.ListenAnyIP(settings.Hosting.ServerPort);
            o.AddServerHeader = false;
        });
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase;
        });
        builder.Services.AddValidatedOptions(apiKey);
        builder.Services.AddOperatorAuth(settings, login);
        builder.Services.AddValidatedOptions(streamOptions);
        builder.Services.AddSingleton<ChatEventHub>();
        var health = builder.Services.AddHealthChecks();
        var pocketBase = new SettingsReader(settings.Configuration).String("POCKET_BASE_URL") is not null;
        foreach (var name in new[] { "orleans", settings.Hosting.ClusterMode ? "redis" : null, pocketBase ? "pocketbase" : "archive" }.OfType<string>())
        {
            health.Add(new HealthCheckRegistration(name, sp => new CachedHealthCheck(sp.GetRequiredService<ReadinessMonitor>(), name), null, ["ready"]));
        }
        health.AddCheck<ArchiveBacklogHealthCheck>("archiveBacklog", tags: ["ready"]);
        builder.Services.AddServiceTelemetry(builder.Configuration);

        if (settings.Hosting.ClusterMode)
        {
            builder.Services.AddMessengerCore(settings);
            var redis = RedisConnection.Normalize(settings.Hosting.RedisUrl!);
            builder.UseOrleansClient(client =>
            {
                client.UseRedisClustering(o => o.ConfigurationOptions = ConfigurationOptions.Parse(redis));
                client.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = settings.Hosting.ClusterId;
                    o.ServiceId = settings.Hosting.ServiceId;
                });
                client.UseConnectionRetryFilter<RetryUntilStopped>();
            });
        }
        else
        {
            builder.UseOrleans(silo => silo.AddMessengerSilo(settings));
            builder.Services.AddMessengerSiloWorkers();
        }
        configure?.Invoke(builder);
        // The push transport (IChatEventSource): in process in the embedded default, an observer the silos
        // push to in cluster mode.
        if (settings.Hosting.ClusterMode)
        {
            builder.Services.AddChatEventObserver();
        }
        builder.Services.AddHostedService<ChatEventFeed>();
        builder.Services.AddSingleton<ReadinessMonitor>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ReadinessMonitor>());
        if (settings.Hosting.ClusterMode)
        {
            builder.Services.AddHostedService<ClusterChangeWatcher>();
        }

        var app = builder.Build();
        if (trustedProxies is not null)
        {
            // Before anything reads the client address (the wrong-key limit, request logs).
            app.UseForwardedHeaders(trustedProxies);
        }
        // A request cut off by the host stopping (SIGTERM) is not an error worth a stack trace in the log.
        var stopping = app.Lifetime.ApplicationStopping;
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            SuppressDiagnosticsCallback = c => c.Exception is OperationCanceledException && (stopping.IsCancellationRequested || c.HttpContext.RequestAborted.IsCancellationRequested),
        });
        app.UseStatusCodePages();
        app.UseMiddleware<RequestLog>();
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions { OnPrepareResponse = ConsoleHeaders.Apply });
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = HealthJson.WriteAsync });

        // Every /api route needs the API key or an operator's session (OperatorAuth), except signing in and out.
        var api = app.MapGroup("/api").RequireAuthorization().AddEndpointFilter(new RequestedWithFilter());
        api.MapAuth();
        api.MapOperators();
        api.MapAudit();
        api.MapCannedResponses();
        api.MapChats();
        api.MapMessages();
        api.MapStream();
        api.MapMedia();
        app.MapTelegramWebhook();
        app.MapBrevoWebhook();

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MessengerAutoReply");
        app.Lifetime.ApplicationStarted.Register(() => AnnounceStart(logger, settings, apiKey));
        return app;
    }

    /// <summary>The API key settings as configured; <see cref="ResolveApiKey"/> generates the key when none is set.</summary>
    private static ApiKeyOptions ReadApiKey(SettingsReader read)
    {
        var configured = read.String("API_KEY");
        var previous = read.String("API_KEY_PREVIOUS");
        var limit = read.Int("API_KEY_FAILURE_LIMIT", 10, 1, 1_000_000);
        var window = read.Duration("API_KEY_FAILURE_WINDOW", TimeSpan.FromMinutes(1));
        if (window <= TimeSpan.Zero)
        {
            read.Error("API_KEY_FAILURE_WINDOW", "must be greater than zero");
        }
        return new ApiKeyOptions { Key = configured ?? "", PreviousKey = previous, FailureLimit = limit, FailureWindow = window };
    }

    private static ApiKeyOptions ResolveApiKey(ServiceSettings settings, ApiKeyOptions configured)
    {
        if (configured.Key.Length > 0)
        {
            return configured;
        }
        var (key, generated) = PersistedSecret.GetOrCreate(settings.Hosting.DataDir, "api-key");
        return new ApiKeyOptions
        {
            Key = key, PreviousKey = configured.PreviousKey, Generated = generated, StoredAt = Path.Combine(settings.Hosting.DataDir, "api-key"),
            FailureLimit = configured.FailureLimit, FailureWindow = configured.FailureWindow,
        };
    }

    private static StreamOptions ReadStreamOptions(SettingsReader read)
    {
        var options = new StreamOptions
        {
            PingInterval = read.Duration("SSE_PING_INTERVAL", TimeSpan.FromSeconds(15)),
            ReplayBuffer = read.Int("SSE_REPLAY_BUFFER", 10_000, 1, 10_000_000),
            ClusterCheckInterval = read.Duration("SSE_CLUSTER_CHECK_INTERVAL", TimeSpan.FromSeconds(1)),
            ResyncSettle = read.Duration("SSE_RESYNC_SETTLE", TimeSpan.FromSeconds(5)),
        };
        if (options.ClusterCheckInterval <= TimeSpan.Zero)
        {
            read.Error("SSE_CLUSTER_CHECK_INTERVAL", "must be greater than zero");
        }
        if (options.PingInterval <= TimeSpan.Zero)
        {
            read.Error("SSE_PING_INTERVAL", "must be greater than zero");
        }
        return options;
    }

    private static void AnnounceStart(ILogger logger, ServiceSettings settings, ApiKeyOptions apiKey)
    {
        var mode = settings.Hosting.ClusterMode ? "cluster (Orleans client, Redis)" : "embedded (co-hosted silo)";
        LogStarted(logger, settings.Hosting.ServerPort, mode, settings.Hosting.DataDir);
        if (!apiKey.Generated && apiKey.StoredAt is null && apiKey.Key.Length < ApiKeyOptions.RecommendedLength)
        {
            LogShortKey(logger, apiKey.Key.Length, ApiKeyOptions.RecommendedLength);
        }
        if (apiKey.PreviousKey is not null)
        {
            LogPreviousKey(logger);
        }
        if (apiKey.Generated)
        {
            // The one place a secret is printed (decision 15): the operator must be able to copy it once.
            Console.WriteLine($"API key (generated, stored in {apiKey.StoredAt}): {apiKey.Key}");
        }
        else if (apiKey.StoredAt is not null)
        {
            LogKeyStored(logger, apiKey.StoredAt);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Messenger AutoReply listening on port {Port}, mode {Mode}, data in {DataDir}")]
    private static partial void LogStarted(ILogger logger, int port, string mode, string dataDir);

    [LoggerMessage(Level = LogLevel.Warning, Message = "API_KEY is {Length} characters long; use at least {Recommended} random characters (openssl rand -hex 24), it is all that guards the API")]
    private static partial void LogShortKey(ILogger logger, int length, int recommended);

    [LoggerMessage(Level = LogLevel.Information, Message = "API_KEY_PREVIOUS is set: the previous key is still accepted; unset it once every client uses API_KEY")]
    private static partial void LogPreviousKey(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "API key: the generated one in {Path}")]
    private static partial void LogKeyStored(ILogger logger, string path);
}

/// <summary>An API host may start before its silos: keep looking for a gateway until the host stops.</summary>
internal sealed class RetryUntilStopped : IClientConnectionRetryFilter
{
    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        return !cancellationToken.IsCancellationRequested;
    }
}

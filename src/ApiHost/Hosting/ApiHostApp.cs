using MessengerAutoReply.ApiHost.Api;
using MessengerAutoReply.ApiHost.Brevo;
using MessengerAutoReply.ApiHost.Stream;
using MessengerAutoReply.ApiHost.Telegram;
using MessengerAutoReply.Hosting;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
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
        var settings = ServiceSettings.Load(builder.Configuration);
        var apiKey = ResolveApiKey(settings);
        var streamOptions = ReadStreamOptions(builder.Configuration);

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
        builder.Services.AddSingleton(apiKey);
        builder.Services.AddSingleton(streamOptions);
        builder.Services.AddSingleton<ChatEventHub>();
        builder.Services.AddHealthChecks()
            .AddCheck<OrleansHealthCheck>("orleans", tags: ["ready"])
            .AddCheck<ArchiveHealthCheck>("archive", tags: ["ready"])
            .AddCheck<ArchiveBacklogHealthCheck>("archiveBacklog", tags: ["ready"]);
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
                client.AddMemoryStreams(MessengerAutoReply.Chats.ChatStreams.Provider);
                client.UseConnectionRetryFilter<RetryUntilStopped>();
            });
        }
        else
        {
            builder.UseOrleans(silo => silo.AddMessengerSilo(settings));
            builder.Services.AddMessengerSiloWorkers();
        }
        configure?.Invoke(builder);
        // After Orleans: it needs the stream provider at start (orleans-notes, 1).
        builder.Services.AddHostedService<ChatEventSubscription>();
        // The push transport (IChatEventSource): in process in the embedded default, an observer the silos
        // push to in cluster mode. The hub listens to both until the chat grain publishes through it alone.
        if (settings.Hosting.ClusterMode)
        {
            builder.Services.AddChatEventObserver();
        }
        builder.Services.AddHostedService<ChatEventFeed>();

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMiddleware<RequestLog>();
        app.UseDefaultFiles();
        app.UseStaticFiles();

        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = HealthJson.WriteAsync });

        var api = app.MapGroup("/api").AddEndpointFilter<ApiKeyFilter>();
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

    private static ApiKeyOptions ResolveApiKey(ServiceSettings settings)
    {
        var configured = new SettingsReader(settings.Configuration).String("API_KEY");
        if (configured is not null)
        {
            return new ApiKeyOptions { Key = configured };
        }
        var (key, generated) = PersistedSecret.GetOrCreate(settings.Hosting.DataDir, "api-key");
        return new ApiKeyOptions { Key = key, Generated = generated, StoredAt = Path.Combine(settings.Hosting.DataDir, "api-key") };
    }

    private static StreamOptions ReadStreamOptions(IConfiguration configuration)
    {
        var read = new SettingsReader(configuration);
        var options = new StreamOptions
        {
            PingInterval = read.Duration("SSE_PING_INTERVAL", TimeSpan.FromSeconds(15)),
            ReplayBuffer = read.Int("SSE_REPLAY_BUFFER", 10_000, 1, 10_000_000),
        };
        if (options.PingInterval <= TimeSpan.Zero)
        {
            read.Error("SSE_PING_INTERVAL", "must be greater than zero");
        }
        return read.Errors.Count > 0 ? throw new InvalidSettingsException(read.Errors) : options;
    }

    private static void AnnounceStart(ILogger logger, ServiceSettings settings, ApiKeyOptions apiKey)
    {
        var mode = settings.Hosting.ClusterMode ? "cluster (Orleans client, Redis)" : "embedded (co-hosted silo)";
        LogStarted(logger, settings.Hosting.ServerPort, mode, settings.Hosting.DataDir);
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

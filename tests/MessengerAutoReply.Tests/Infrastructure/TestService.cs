using System.Collections.Concurrent;
using System.Net.Http.Headers;
using MessengerAutoReply.ApiHost.Hosting;
using MessengerAutoReply.Delivery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MessengerAutoReply.Tests.Infrastructure;

/// <summary>
/// The real API host, built exactly as <c>Program</c> builds it, listening on a free loopback port over real
/// HTTP, with its own data folder and short timers.
/// </summary>
public sealed class TestService : IAsyncDisposable
{
    public const string ApiKey = "test-api-key-0123456789";

    private TestService(WebApplication app, Uri baseUri, LogCapture logs)
    {
        App = app;
        BaseUri = baseUri;
        Logs = logs;
        Client = CreateClient();
    }

    public WebApplication App { get; }

    public Uri BaseUri { get; }

    public HttpClient Client { get; }

    public LogCapture Logs { get; }

    public IGrainFactory Grains => App.Services.GetRequiredService<IGrainFactory>();

    public static async Task<TestService> StartAsync(
        string dataDir,
        IDictionary<string, string?>? settings = null,
        IEnumerable<IMessengerGateway>? gateways = null,
        Action<WebApplicationBuilder>? configure = null)
    {
        var overrides = new Dictionary<string, string?>
        {
            ["SERVER_PORT"] = "0",
            ["SILO_PORT"] = FreePort.Next().ToString(),
            ["GATEWAY_PORT"] = FreePort.Next().ToString(),
            ["DATA_DIR"] = dataDir,
            ["API_KEY"] = ApiKey,
            ["PENDING_SWEEP_INTERVAL"] = "500ms",
            ["RETRY_BACKOFF_MIN"] = "50ms",
            ["RETRY_BACKOFF_MAX"] = "500ms",
            ["SSE_PING_INTERVAL"] = "1s",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            overrides[key] = value;
        }
        var logs = new LogCapture();
        var app = ApiHostApp.Build([], overrides, builder =>
        {
            // Lines go to the capture, not the console: tests assert on them (and on what they must not contain).
            builder.Logging.ClearProviders();
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
            builder.Logging.AddFilter("MessengerAutoReply", LogLevel.Debug);
            builder.Logging.AddProvider(logs);
            foreach (var gateway in gateways ?? [])
            {
                builder.Services.AddSingleton(gateway);
            }
            configure?.Invoke(builder);
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address.Replace("[::]", "localhost", StringComparison.Ordinal).Replace("+", "localhost", StringComparison.Ordinal)).Port;
        return new TestService(app, new Uri($"http://127.0.0.1:{port}"), logs);
    }

    public HttpClient CreateClient(string? apiKey = ApiKey)
    {
        var client = new HttpClient { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-API-Key", apiKey);
        }
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        try
        {
            await App.StopAsync(CancellationToken.None);
        }
        finally
        {
            await App.DisposeAsync();
        }
    }
}

/// <summary>Keeps every log line the service writes, to check what it says and what it must never say.</summary>
public sealed class LogCapture : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}

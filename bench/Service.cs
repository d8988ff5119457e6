using System.Globalization;
using System.Text.Json.Nodes;
using MessengerAutoReply.ApiHost.Hosting;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Orleans.Hosting;

namespace MessengerAutoReply.Bench;

public enum Variant
{
    /// <summary>The embedded default: co-hosted silo, SQLite grain state (durable).</summary>
    Sqlite,
    /// <summary>The same API host code with Orleans' memory grain storage (not durable): the goal's reference.</summary>
    Memory,
    /// <summary>Cluster mode: redis-server, silo processes, an API host as Orleans client; Redis grain state.</summary>
    Redis,
    /// <summary>The embedded default writing its archive through to PocketBase 0.22.20.</summary>
    PocketBase,
}

/// <summary>
/// The service under test as real processes: <c>dotnet MessengerAutoReply.ApiHost.dll</c> (and silos in cluster
/// mode) from this build output, configured by environment variables like an operator would.
/// </summary>
public sealed class ServiceUnderTest : IAsyncDisposable
{
    public const string ApiKey = "bench-api-key";
    public const string WebhookSecret = "bench-webhook-secret";
    public const string ServeMemoryCommand = "serve-memory-host";

    private readonly List<ChildProcess> _processes = [];
    private readonly TempDir _data;

    private ServiceUnderTest(Variant variant, int port)
    {
        Variant = variant;
        Port = port;
        _data = new TempDir($"bench-{variant.ToString().ToLowerInvariant()}");
    }

    public Variant Variant { get; }

    public int Port { get; }

    public Uri BaseUrl => new($"http://127.0.0.1:{Port}");

    /// <summary>The service's DATA_DIR (grains.db, archive.db), for figures read beside the running service.</summary>
    public string DataDir => _data.Path;

    /// <summary>The process that holds the chat grains (the API host, or the first silo in cluster mode).</summary>
    public ChildProcess GrainHost { get; private set; } = null!;

    public static async Task<ServiceUnderTest> StartAsync(Variant variant, BenchContext context, IDictionary<string, string>? extra = null)
    {
        var service = new ServiceUnderTest(variant, FreePort.Next());
        try
        {
            await service.StartProcessesAsync(context, extra ?? new Dictionary<string, string>());
            return service;
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
    }

    private async Task StartProcessesAsync(BenchContext context, IDictionary<string, string> extra)
    {
        var env = new Dictionary<string, string>
        {
            ["SERVER_PORT"] = Port.ToString(CultureInfo.InvariantCulture),
            ["DATA_DIR"] = _data.Path,
            ["API_KEY"] = ApiKey,
            ["SILO_PORT"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["GATEWAY_PORT"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["TELEGRAM_TOKEN"] = context.Telegram.Token,
            ["TELEGRAM_API_URL"] = context.Telegram.BaseUrl,
            ["TELEGRAM_WEBHOOK_URL"] = $"http://127.0.0.1:{Port}/webhooks/telegram",
            ["TELEGRAM_WEBHOOK_SECRET"] = WebhookSecret,
            ["OPENAI_API_KEY"] = BenchContext.OpenAIKey,
            ["OPENAI_BASE_URL"] = context.OpenAI.ApiEndpoint.ToString(),
            ["OPENAI_MODEL"] = "gpt-test",
            ["REPLY_DEBOUNCE_MS"] = "0",
            // Ingest, fan-out and scale measure the inbox; the auto-reply scenario turns autoMode on per chat.
            ["AUTO_MODE_DEFAULT"] = "false",
            ["DOTNET_gcServer"] = "1",
        };
        foreach (var (key, value) in extra)
        {
            env[key] = value;
        }
        if (Variant == Variant.PocketBase)
        {
            env["POCKET_BASE_URL"] = context.PocketBase!.Url.ToString();
            env["POCKETBASE_EMAIL"] = PocketBaseServer.Email;
            env["POCKETBASE_PASSWORD"] = PocketBaseServer.Password;
        }

        if (Variant == Variant.Redis)
        {
            env["REDIS_URL"] = context.Redis.Url;
            env["ORLEANS_CLUSTER_ID"] = $"bench-{Guid.NewGuid():N}";
            env["ORLEANS_SERVICE_ID"] = env["ORLEANS_CLUSTER_ID"];
            for (var i = 0; i < context.Profile.Silos; i++)
            {
                var siloEnv = new Dictionary<string, string>(env)
                {
                    ["SILO_PORT"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
                    ["GATEWAY_PORT"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
                };
                var silo = StartWithBenchRuntime($"silo {i + 1}", "MessengerAutoReply.Silo.dll", siloEnv);
                _processes.Add(silo);
                if (i == 0)
                {
                    GrainHost = silo;
                }
            }
            _processes.Add(ChildProcess.StartDotnet("API host (cluster client)", "MessengerAutoReply.ApiHost.dll", env));
        }
        else if (Variant == Variant.Memory)
        {
            GrainHost = ChildProcess.StartDotnet("API host (memory storage)", "MessengerAutoReply.Bench.dll", env, null, ServeMemoryCommand);
            _processes.Add(GrainHost);
        }
        else
        {
            GrainHost = ChildProcess.StartDotnet("API host", "MessengerAutoReply.ApiHost.dll", env);
            _processes.Add(GrainHost);
        }

        var api = _processes[^1];
        try
        {
            await api.WaitForHttpAsync(context.Client.Http, new Uri(BaseUrl, "/health/ready"), TimeSpan.FromSeconds(90));
        }
        catch (Exception ex) when (_processes.Count > 1)
        {
            var others = string.Join(Environment.NewLine, _processes.Take(_processes.Count - 1).Select(p => $"--- {p.Name}:{Environment.NewLine}{p.Tail(10)}"));
            throw new InvalidOperationException($"{ex.Message}{Environment.NewLine}{others}", ex);
        }
        // The webhook is registered with the fake once the Telegram channel is up: then updates are accepted.
        var webhook = env["TELEGRAM_WEBHOOK_URL"];
        await context.Telegram.WaitForAsync(t => t.WebhookUrl == webhook, TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// Starts a referenced console assembly (the silo) under the bench's own runtime and dependency files: the
    /// silo's deps expect Microsoft.Extensions.* beside it, which this output takes from the ASP.NET framework.
    /// </summary>
    private static ChildProcess StartWithBenchRuntime(string name, string assembly, IDictionary<string, string> environment)
    {
        var dir = AppContext.BaseDirectory;
        return ChildProcess.Start(name, "dotnet",
        [
            "exec",
            "--runtimeconfig", Path.Combine(dir, "MessengerAutoReply.Bench.runtimeconfig.json"),
            "--depsfile", Path.Combine(dir, "MessengerAutoReply.Bench.deps.json"),
            Path.Combine(dir, assembly),
        ], environment);
    }

    public HttpRequestMessage Api(HttpMethod method, string pathAndQuery, JsonNode? body = null)
    {
        var request = new HttpRequestMessage(method, new Uri(BaseUrl, pathAndQuery));
        request.Headers.Add("X-API-Key", ApiKey);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
        }
        return request;
    }

    public HttpRequestMessage Webhook(byte[] update)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(BaseUrl, "/webhooks/telegram"))
        {
            Content = new ByteArrayContent(update) { Headers = { ContentType = new("application/json") } },
        };
        request.Headers.Add("X-Telegram-Bot-Api-Secret-Token", WebhookSecret);
        return request;
    }

    /// <summary>Archive writes accepted and not yet stored, as /health/ready reports them (this process's chats).</summary>
    /// <summary>CPU seconds (user + system) used so far by every process of this service (silos and API host).</summary>
    public double CpuSeconds() => _processes.Sum(p =>
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(p.Id);
            return process.TotalProcessorTime.TotalSeconds;
        }
        catch (ArgumentException)
        {
            return 0; // exited
        }
    });

    public async Task<int> ArchiveBacklogAsync(HttpClient http)
    {
        using var response = await http.GetAsync(new Uri(BaseUrl, "/health/ready"));
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync());
        return json?["checks"]?["archiveBacklog"]?["data"]?["backlog"]?.GetValue<int>() ?? 0;
    }

    public async ValueTask DisposeAsync()
    {
        // The API host first: a client without silos would keep looking for them.
        for (var i = _processes.Count - 1; i >= 0; i--)
        {
            await _processes[i].DisposeAsync();
        }
        _data.Dispose();
    }

    /// <summary>
    /// <c>MessengerAutoReply.Bench serve-memory-host</c>: the API host's own code (ApiHostApp, the same settings)
    /// with Orleans' memory grain storage for the chats instead of SQLite. Nothing else changes.
    /// </summary>
    public static async Task<int> ServeMemoryAsync(string[] args)
    {
        try
        {
            var app = ApiHostApp.Build(args[1..], configure: builder =>
                builder.UseOrleans(silo => silo.AddMemoryGrainStorage(StorageNames.Chats)));
            await app.RunAsync();
            return 0;
        }
        catch (InvalidSettingsException ex)
        {
            foreach (var error in ex.Errors)
            {
                await Console.Error.WriteLineAsync($"Configuration error: {error}");
            }
            return 2;
        }
    }
}


using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace MessengerAutoReply.TestSupport;

/// <summary>
/// A real PocketBase 0.22.20 (the binary ./test.sh installs into .tools/; POCKETBASE_BIN points at it) on a free
/// loopback port with a temp data dir: <c>migrate up</c>, <c>admin create</c>, <c>serve</c>.
/// <see cref="StartNewAsync"/> makes a private one; <see cref="StopAsync"/> / <see cref="StartAsync"/> keep the port
/// and the data.
/// </summary>
public class PocketBaseServer : IAsyncDisposable
{
    public const string Email = "admin@example.com";
    public const string Password = "test-password-123";

    private readonly TempDir _root = new("mar-pocketbase");
    private ChildProcess? _process;

    public int Port { get; private set; }

    public Uri Url => new($"http://127.0.0.1:{Port}");

    public string DataDir => Path.Combine(_root.Path, "pb_data");

    /// <summary>What the service needs to write through to this server.</summary>
    public Dictionary<string, string?> Settings => new()
    {
        ["POCKET_BASE_URL"] = Url.ToString(),
        ["POCKETBASE_EMAIL"] = Email,
        ["POCKETBASE_PASSWORD"] = Password,
        ["POCKETBASE_TIMEOUT"] = "5s",
        ["POCKETBASE_RETRY"] = "200ms",
    };

    /// <summary>A private server the caller owns (and disposes).</summary>
    public static async Task<PocketBaseServer> StartNewAsync()
    {
        var server = new PocketBaseServer();
        await server.InitializeAsync();
        return server;
    }

    public async ValueTask InitializeAsync()
    {
        Port = FreePort.Next();
        await ChildProcess.RunAsync(Binary, Args("migrate", "up"));
        var output = await ChildProcess.RunAsync(Binary, Args("admin", "create", Email, Password));
        // `admin create` exits 0 even when it fails: read what it says.
        if (!output.Contains("Successfully created", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"pocketbase admin create failed: {output}");
        }
        await StartAsync();
    }

    public async Task StartAsync()
    {
        if (_process is { HasExited: false })
        {
            return;
        }
        _process = ChildProcess.Start("pocketbase", Binary, Args("serve", "--http", $"127.0.0.1:{Port}"));
        using var http = new HttpClient();
        await _process.WaitForHttpAsync(http, new Uri(Url, "/api/health"), TimeSpan.FromSeconds(30));
    }

    /// <summary>An outage: the process is killed outright; port and data stay for <see cref="StartAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
            _process = null;
        }
    }

    /// <summary>An HTTP client logged in as the admin, for looking at what the service wrote.</summary>
    public async Task<HttpClient> AdminAsync()
    {
        var http = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await AdminTokenAsync(http));
        return http;
    }

    /// <summary>An admin token (PocketBase takes it as the Authorization header's value).</summary>
    public async Task<string> AdminTokenAsync(HttpClient http)
    {
        using var login = await http.PostAsJsonAsync(new Uri(Url, "/api/admins/auth-with-password"), new { identity = Email, password = Password });
        login.EnsureSuccessStatusCode();
        return (await login.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
    }

    /// <summary>Records in a collection, as PocketBase counts them (0 while the collection does not exist).</summary>
    public async Task<int> CountAsync(HttpClient http, string token, string collection)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Url, $"/api/collections/{collection}/records?perPage=1&fields=id"));
        request.Headers.TryAddWithoutValidation("Authorization", token);
        using var response = await http.SendAsync(request);
        if (!response.IsSuccessStatusCode)
        {
            return 0;
        }
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["totalItems"]!.GetValue<int>();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _root.Dispose();
        GC.SuppressFinalize(this);
    }

    private List<string> Args(params string[] args) =>
    [
        .. args,
        // Everything inside the temp root: no pb_migrations written next to anything else.
        $"--dir={DataDir}",
        "--automigrate=false",
        $"--migrationsDir={Path.Combine(_root.Path, "pb_migrations")}",
        $"--hooksDir={Path.Combine(_root.Path, "pb_hooks")}",
        $"--publicDir={Path.Combine(_root.Path, "pb_public")}",
    ];

    private static string Binary => FindBinary()
        ?? throw new InvalidOperationException("PocketBase 0.22.20 is not installed: run ./test.sh once (it installs it into .tools/) or set POCKETBASE_BIN.");

    /// <summary>POCKETBASE_BIN, or .tools/pocketbase-0.22.20/pocketbase in a folder above the build output or the working folder.</summary>
    public static string? FindBinary()
    {
        var configured = Environment.GetEnvironmentVariable("POCKETBASE_BIN");
        if (!string.IsNullOrEmpty(configured) && File.Exists(configured))
        {
            return configured;
        }
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, ".tools", "pocketbase-0.22.20", "pocketbase");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        return null;
    }
}

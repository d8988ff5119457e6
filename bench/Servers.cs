using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using StackExchange.Redis;

namespace MessengerAutoReply.Bench;

/// <summary>Debian's redis-server on a free loopback port, nothing persisted (like the test suite's).</summary>
public sealed class RedisProcess : IAsyncDisposable
{
    private ChildProcess? _process;

    public int Port { get; private set; }

    public string Url => $"127.0.0.1:{Port}";

    public static async Task<RedisProcess> StartAsync()
    {
        var binary = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("redis-server is not installed (apt-get install redis-server; ./test.sh installs it).");
        var redis = new RedisProcess { Port = FreePort.Next() };
        redis._process = ChildProcess.Start("redis-server", binary,
            ["--port", redis.Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"]);
        var deadline = Stopwatch.GetTimestamp() + 10 * Stopwatch.Frequency;
        while (true)
        {
            try
            {
                await using var connection = await ConnectionMultiplexer.ConnectAsync($"{redis.Url},connectTimeout=500");
                await connection.GetDatabase().PingAsync();
                return redis;
            }
            catch (RedisConnectionException) when (Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
    }
}

/// <summary>PocketBase 0.22.20 (the binary ./test.sh installs into .tools/, or POCKETBASE_BIN) with a temp data folder.</summary>
public sealed class PocketBaseProcess : IAsyncDisposable
{
    public const string Email = "bench@example.com";
    public const string Password = "bench-password-123";

    private readonly TempDir _root = new("pocketbase");
    private ChildProcess? _process;

    public int Port { get; private set; }

    public Uri Url => new($"http://127.0.0.1:{Port}");

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

    public static async Task<PocketBaseProcess> StartAsync(string binary, HttpClient http)
    {
        var pb = new PocketBaseProcess { Port = FreePort.Next() };
        await pb.RunCliAsync(binary, "migrate", "up");
        var output = await pb.RunCliAsync(binary, "admin", "create", Email, Password);
        if (!output.Contains("Successfully created", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"pocketbase admin create failed: {output}");
        }
        pb._process = ChildProcess.Start("pocketbase", binary, pb.Args("serve", "--http", $"127.0.0.1:{pb.Port}"));
        await pb._process.WaitForHttpAsync(http, new Uri(pb.Url, "/api/health"), TimeSpan.FromSeconds(30));
        return pb;
    }

    public async Task<string> AdminTokenAsync(HttpClient http)
    {
        using var login = await http.PostAsJsonAsync(new Uri(Url, "/api/admins/auth-with-password"), new { identity = Email, password = Password });
        login.EnsureSuccessStatusCode();
        return (await login.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
    }

    /// <summary>Records in a collection, as PocketBase counts them.</summary>
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

    private async Task<string> RunCliAsync(string binary, params string[] args)
    {
        var info = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in Args(args))
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return await stdout + await stderr;
    }

    private List<string> Args(params string[] args) =>
    [
        .. args,
        $"--dir={Path.Combine(_root.Path, "pb_data")}",
        "--automigrate=false",
        $"--migrationsDir={Path.Combine(_root.Path, "pb_migrations")}",
        $"--hooksDir={Path.Combine(_root.Path, "pb_hooks")}",
        $"--publicDir={Path.Combine(_root.Path, "pb_public")}",
    ];

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
        _root.Dispose();
    }
}

using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

[assembly: AssemblyFixture(typeof(MessengerAutoReply.Tests.Infrastructure.PocketBaseServer))]

namespace MessengerAutoReply.Tests.Infrastructure;

/// <summary>
/// A real PocketBase 0.22.20 (the binary ./test.sh installs; POCKETBASE_BIN points at it) on a free loopback port
/// with a temp data dir: <c>migrate up</c>, <c>admin create</c>, <c>serve</c>. One is shared by the whole run
/// (tests isolate by data); <see cref="StartNewAsync"/> makes a private one for tests that need an empty
/// server or stop it. <see cref="StopAsync"/> / <see cref="StartAsync"/> keep the port and the data.
/// </summary>
public sealed class PocketBaseServer : IAsyncLifetime
{
    public const string Email = "admin@example.com";
    public const string Password = "test-password-123";

    private readonly TempDir _root = new();
    private Process? _process;

    public int Port { get; private set; }

    public Uri Url => new($"http://127.0.0.1:{Port}");

    public string DataDir => Path.Combine(_root.Path, "pb_data");

    /// <summary>What a TestService needs to write through to this server.</summary>
    public Dictionary<string, string?> Settings => new()
    {
        ["POCKET_BASE_URL"] = Url.ToString(),
        ["POCKETBASE_EMAIL"] = Email,
        ["POCKETBASE_PASSWORD"] = Password,
        ["POCKETBASE_TIMEOUT"] = "5s",
        ["POCKETBASE_RETRY"] = "200ms",
    };

    public static async Task<PocketBaseServer> StartNewAsync()
    {
        var server = new PocketBaseServer();
        await server.InitializeAsync();
        return server;
    }

    public async ValueTask InitializeAsync()
    {
        Port = FreePort.Next();
        await RunCliAsync("migrate", "up");
        var output = await RunCliAsync("admin", "create", Email, Password);
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
        _process = Process.Start(Command("serve", "--http", $"127.0.0.1:{Port}"))!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(Url, "/api/health"));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
            }
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"pocketbase serve exited with {_process.ExitCode}");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>An outage: the process is killed outright; port and data stay for <see cref="StartAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        _process = null;
    }

    /// <summary>An HTTP client logged in as the admin, for looking at what the service wrote.</summary>
    public async Task<HttpClient> AdminAsync()
    {
        var http = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(30) };
        using var login = await http.PostAsJsonAsync("/api/admins/auth-with-password", new { identity = Email, password = Password });
        login.EnsureSuccessStatusCode();
        var token = (await login.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _root.Dispose();
    }

    private async Task<string> RunCliAsync(params string[] args)
    {
        using var process = Process.Start(Command(args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return await stdout + await stderr;
    }

    private ProcessStartInfo Command(params string[] args)
    {
        var info = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        // Everything inside the temp root: no pb_migrations written next to anything else.
        info.ArgumentList.Add($"--dir={DataDir}");
        info.ArgumentList.Add("--automigrate=false");
        info.ArgumentList.Add($"--migrationsDir={Path.Combine(_root.Path, "pb_migrations")}");
        info.ArgumentList.Add($"--hooksDir={Path.Combine(_root.Path, "pb_hooks")}");
        info.ArgumentList.Add($"--publicDir={Path.Combine(_root.Path, "pb_public")}");
        return info;
    }

    private static string Binary { get; } = FindBinary();

    private static string FindBinary()
    {
        var configured = Environment.GetEnvironmentVariable("POCKETBASE_BIN");
        if (!string.IsNullOrEmpty(configured) && File.Exists(configured))
        {
            return configured;
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, ".tools", "pocketbase-0.22.20", "pocketbase");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException("PocketBase 0.22.20 is not installed: run ./test.sh once (it installs it into .tools/) or set POCKETBASE_BIN.");
    }
}

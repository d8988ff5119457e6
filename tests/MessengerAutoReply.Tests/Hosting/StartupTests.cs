using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.Hosting;

public sealed class StartupTests
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    private static Dictionary<string, string> Environment(string dataDir, int port) => new()
    {
        ["DATA_DIR"] = dataDir,
        ["SERVER_PORT"] = port.ToString(),
        ["SILO_PORT"] = FreePort.Next().ToString(),
        ["GATEWAY_PORT"] = FreePort.Next().ToString(),
    };

    [Fact]
    public async Task With_no_settings_it_serves_the_api_with_a_generated_key_it_prints_once()
    {
        using var data = new TempDir();
        var port = FreePort.Next();
        string key;
        await using (var service = ServiceProcess.Start(Environment(data.Path, port)))
        {
            var line = await Eventually.Get(() => Task.FromResult(service.Output.FirstOrDefault(l => l.StartsWith("API key", StringComparison.Ordinal))),
                l => l is not null, TimeSpan.FromSeconds(20), "the generated key printed");
            key = line![(line!.LastIndexOf(' ') + 1)..];
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            client.DefaultRequestHeaders.Add("X-API-Key", key);
            var chats = await client.GetFromJsonAsync<JsonElement>("/api/chats", _ct);
            Assert.Equal(0, chats.GetProperty("totalItems").GetInt32());
        }

        // A second start keeps the key and does not print it again.
        await using var again = ServiceProcess.Start(Environment(data.Path, port));
        using var second = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        second.DefaultRequestHeaders.Add("X-API-Key", key);
        var status = await Eventually.Get(async () =>
        {
            try
            {
                return (await second.GetAsync("/api/chats", _ct)).StatusCode;
            }
            catch (HttpRequestException)
            {
                return HttpStatusCode.ServiceUnavailable;
            }
        }, s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(20), "restarted host answers with the same key");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.DoesNotContain(again.Output, l => l.Contains(key, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("SERVER_PORT", "abc")]
    [InlineData("AUTO_MODE_DEFAULT", "maybe")]
    [InlineData("PENDING_SWEEP_INTERVAL", "soon")]
    [InlineData("REDIS_URL", "redis://")]
    [InlineData("API_KEY_FAILURE_LIMIT", "0")]
    [InlineData("API_KEY_FAILURE_WINDOW", "0s")]
    [InlineData("TRUSTED_PROXIES", "10.0.0.1, proxy.internal")]
    [InlineData("OUTBOUND_ALLOW_PRIVATE", "perhaps")]
    [InlineData("MEDIA_MAX_BYTES", "lots")]
    [InlineData("MEDIA_MAX_CONCURRENT_DOWNLOADS", "0")]
    public async Task A_bad_setting_stops_start_with_one_line_naming_it(string name, string value)
    {
        using var data = new TempDir();
        var environment = Environment(data.Path, FreePort.Next());
        environment[name] = value;
        await using var service = ServiceProcess.Start(environment);
        await service.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, service.ExitCode);
        var error = Assert.Single(service.Errors);
        Assert.StartsWith($"Configuration error: {name}:", error);
        Assert.DoesNotContain(service.Output.Concat(service.Errors), l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Three_mistakes_in_three_option_groups_are_three_lines_of_one_start()
    {
        using var data = new TempDir();
        var environment = Environment(data.Path, FreePort.Next());
        environment["SERVER_PORT"] = "abc";
        environment["TELEGRAM_TOKEN"] = "not-a-bot-token";
        environment["BREVO_API_KEY"] = "xkeysib-secret-value";
        await using var service = ServiceProcess.Start(environment);
        await service.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, service.ExitCode);
        Assert.Equal(3, service.Errors.Count);
        Assert.Contains(service.Errors, l => l.StartsWith("Configuration error: SERVER_PORT:", StringComparison.Ordinal));
        Assert.Contains(service.Errors, l => l.StartsWith("Configuration error: TELEGRAM_TOKEN:", StringComparison.Ordinal));
        Assert.Contains(service.Errors, l => l.StartsWith("Configuration error: BREVO_AGENT_ID:", StringComparison.Ordinal));
        // Secrets are named, never echoed, even when they are the mistake.
        Assert.DoesNotContain(service.Output.Concat(service.Errors), l => l.Contains("not-a-bot-token", StringComparison.Ordinal) || l.Contains("xkeysib", StringComparison.Ordinal));
        Assert.DoesNotContain(service.Output.Concat(service.Errors), l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Api_key_and_proxy_mistakes_join_the_other_settings_errors_of_one_start()
    {
        using var data = new TempDir();
        var environment = Environment(data.Path, FreePort.Next());
        environment["SERVER_PORT"] = "abc";
        environment["API_KEY_FAILURE_WINDOW"] = "never";
        environment["TRUSTED_PROXIES"] = "10.0.0.0/33x";
        environment["OUTBOUND_ALLOW_PRIVATE"] = "sometimes";
        await using var service = ServiceProcess.Start(environment);
        await service.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, service.ExitCode);
        Assert.Equal(4, service.Errors.Count);
        foreach (var name in new[] { "SERVER_PORT", "API_KEY_FAILURE_WINDOW", "TRUSTED_PROXIES", "OUTBOUND_ALLOW_PRIVATE" })
        {
            Assert.Contains(service.Errors, l => l.StartsWith($"Configuration error: {name}:", StringComparison.Ordinal));
        }
        Assert.DoesNotContain(service.Output.Concat(service.Errors), l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
    }
}

using System.Net;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.Security;

/// <summary>
/// Attacks the API key: keys in URLs on routes that can send headers, guessing at full speed, spoofed forwarded
/// addresses to dodge the limit; and checks rotation (API_KEY_PREVIOUS) and the short-key warning.
/// </summary>
public sealed class ApiKeyAbuseTests
{
    private const string Previous = "previous-key-0123456789";
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    private static Task<TestService> StartAsync(TempDir data, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["API_KEY_FAILURE_LIMIT"] = "5",
            ["API_KEY_FAILURE_WINDOW"] = "10m",
            ["API_KEY_PREVIOUS"] = Previous,
        };
        foreach (var (k, v) in extra ?? [])
        {
            settings[k] = v;
        }
        return TestService.StartAsync(data.Path, settings);
    }

    [Fact]
    public async Task The_key_in_the_query_is_accepted_only_on_GET_stream_and_media()
    {
        using var data = new TempDir();
        await using var service = await StartAsync(data);
        using var anonymous = service.CreateClient(apiKey: null);
        var key = "apiKey=" + TestService.ApiKey;

        using var list = await anonymous.GetAsync("/api/chats?" + key, _ct);
        Assert.Equal(HttpStatusCode.Unauthorized, list.StatusCode);
        Assert.Contains("X-API-Key", await list.Content.ReadAsStringAsync(_ct), StringComparison.Ordinal);
        using var post = await anonymous.PostAsync("/api/messages?" + key, new StringContent("""{"source":"telegram","platformChatId":"1","text":"x"}""", System.Text.Encoding.UTF8, "application/json"), _ct);
        Assert.Equal(HttpStatusCode.Unauthorized, post.StatusCode);

        using var media = await anonymous.GetAsync($"/api/media/{ChatIds.ForMedia("telegram", "none")}?{key}", _ct);
        Assert.Equal(HttpStatusCode.NotFound, media.StatusCode);
        using var stream = await anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/stream?" + key), HttpCompletionOption.ResponseHeadersRead, _ct);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
    }

    [Fact]
    public async Task Wrong_keys_are_logged_without_the_key_and_then_answered_429_with_Retry_After()
    {
        using var data = new TempDir();
        await using var service = await StartAsync(data);
        using var guesser = service.CreateClient("guess-0000000000000000");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 40; i++)
        {
            using var response = await guesser.GetAsync("/api/chats", _ct);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.True(int.Parse(response.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
        }
        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, 5).Concat(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 35)), statuses);

        // The right key from the same address waits too: a right guess must not stand out.
        using var same = await service.Client.GetAsync("/api/chats", _ct);
        Assert.Equal(HttpStatusCode.TooManyRequests, same.StatusCode);

        var lines = service.Logs.Lines.Where(l => l.Contains("Wrong API key", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(lines);
        Assert.Contains(lines, l => l.Contains("127.0.0.1", StringComparison.Ordinal) && l.Contains("/api/chats", StringComparison.Ordinal));
        Assert.DoesNotContain(service.Logs.Lines, l => l.Contains("guess-0000000000000000", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_forwarded_address_counts_only_from_a_trusted_proxy()
    {
        using var data = new TempDir();
        await using (var untrusted = await StartAsync(data))
        {
            // Without TRUSTED_PROXIES a made-up X-Forwarded-For changes nothing: the peer is limited.
            for (var i = 0; i < 6; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/api/chats");
                request.Headers.Add("X-API-Key", "wrong-key-000000000000");
                request.Headers.Add("X-Forwarded-For", $"203.0.113.{i}");
                using var response = await untrusted.Client.SendAsync(request, _ct);
                Assert.Equal(i < 5 ? HttpStatusCode.Unauthorized : HttpStatusCode.TooManyRequests, response.StatusCode);
            }
        }

        using var data2 = new TempDir();
        await using var trusted = await StartAsync(data2, new() { ["TRUSTED_PROXIES"] = "127.0.0.1, 10.0.0.0/8" });
        async Task<HttpStatusCode> Send(string client, string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/chats");
            request.Headers.Add("X-API-Key", key);
            request.Headers.Add("X-Forwarded-For", client);
            using var response = await trusted.CreateClient(apiKey: null).SendAsync(request, _ct);
            return response.StatusCode;
        }
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(i < 5 ? HttpStatusCode.Unauthorized : HttpStatusCode.TooManyRequests, await Send("198.51.100.7", "wrong-key-000000000000"));
        }
        Assert.Equal(HttpStatusCode.OK, await Send("198.51.100.8", TestService.ApiKey));
        Assert.Equal(HttpStatusCode.TooManyRequests, await Send("198.51.100.7", TestService.ApiKey));
        Assert.Contains(trusted.Logs.Lines, l => l.Contains("Wrong API key from 198.51.100.7", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_previous_key_works_while_API_KEY_PREVIOUS_is_set()
    {
        using var data = new TempDir();
        await using (var rotating = await StartAsync(data))
        {
            using var old = rotating.CreateClient(Previous);
            Assert.Equal(HttpStatusCode.OK, (await old.GetAsync("/api/chats", _ct)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await rotating.Client.GetAsync("/api/chats", _ct)).StatusCode);
        }
        using var data2 = new TempDir();
        await using var rotated = await TestService.StartAsync(data2.Path);
        using var retired = rotated.CreateClient(Previous);
        Assert.Equal(HttpStatusCode.Unauthorized, (await retired.GetAsync("/api/chats", _ct)).StatusCode);
    }

    [Fact]
    public async Task A_short_configured_key_gets_one_warning_at_start()
    {
        using var data = new TempDir();
        await using (var weak = await StartAsync(data, new() { ["API_KEY"] = "secret123" }))
        {
            await Eventually.Get(() => Task.FromResult(weak.Logs.Lines.Count(l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("API_KEY is 9 characters", StringComparison.Ordinal))),
                n => n > 0, TimeSpan.FromSeconds(10), "the short-key warning");
            Assert.Single(weak.Logs.Lines, l => l.Contains("API_KEY is 9 characters", StringComparison.Ordinal));
            Assert.DoesNotContain(weak.Logs.Lines, l => l.Contains("secret123", StringComparison.Ordinal));
        }
        using var data2 = new TempDir();
        await using var strong = await StartAsync(data2);
        await Task.Delay(300, _ct);
        Assert.DoesNotContain(strong.Logs.Lines, l => l.Contains("characters long", StringComparison.Ordinal));
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MessengerAutoReply.Archive;
using MessengerAutoReply.Archive.PocketBase;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Tests.Infrastructure;
using MessengerAutoReply.Tests.PocketBase;
using Microsoft.Extensions.DependencyInjection;
using static MessengerAutoReply.Tests.PocketBase.PocketBaseTestKit;

namespace MessengerAutoReply.Tests.Security;

/// <summary>
/// Attacks the PocketBase filters with values a customer or API client controls: a trailing backslash (which
/// escaped the closing quote under the old quoting), quotes, LIKE wildcards, and ids outside a safe character set.
/// Runs against the real PocketBase 0.22.20, whose parser decides what a literal is.
/// </summary>
public sealed class PocketBaseFilterInjectionTests(PocketBaseArchiveTests.Service fixture) : IClassFixture<PocketBaseArchiveTests.Service>
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    private TestService Api => fixture.Api;

    public static TheoryData<string> Values => new() { "abc\\", "a\\\\", "\\", "O'Brien", "it\\'s", "x\\'", "50%_off\\", "'; ||1=1 \\" };

    [Theory]
    [MemberData(nameof(Values))]
    public async Task An_equality_term_matches_exactly_that_value_on_the_real_server(string value)
    {
        using var admin = await fixture.PocketBase.AdminAsync();
        var collection = await TextCollectionAsync(admin);
        var tag = Guid.NewGuid().ToString("N");
        // The value, and neighbours an escaped or LIKE-based term could also catch.
        string[] stored = [value, value.ToUpperInvariant() + "Z", value + "x", value.TrimEnd('\\'), value + "\\", value.ToUpperInvariant()];
        foreach (var v in stored.Distinct())
        {
            using var created = await admin.PostAsJsonAsync($"/api/collections/{collection}/records", new { v, tag }, _ct);
            created.EnsureSuccessStatusCode();
        }
        var filter = PocketBaseFilter.Equal("v", value) + " && " + PocketBaseFilter.Equal("tag", tag);
        using var response = await admin.GetAsync($"/api/collections/{collection}/records?perPage=50&filter={Uri.EscapeDataString(filter)}", _ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var items = (await response.Content.ReadFromJsonAsync<JsonObject>(_ct))!["items"]!.AsArray();
        Assert.Equal([value], items.Select(i => i.Str("v")));
    }

    [Fact]
    public async Task A_search_ending_in_a_backslash_finds_the_chat_and_wildcards_are_literal()
    {
        var address = NewTelegramChat("Backslash Bob\\");
        var other = NewTelegramChat("Backslash Bobby");
        await Api.Grains.GetGrain<IChatGrain>(address.ChatId).ReceiveAsync(Text(address, "1", "hi"));
        await Api.Grains.GetGrain<IChatGrain>(other.ChatId).ReceiveAsync(Text(other, "1", "hi"));
        using var admin = await fixture.PocketBase.AdminAsync();
        await Eventually.Get(async () => (await admin.GetAsync($"/api/collections/chats/records/{other.ChatId}", _ct)).StatusCode,
            s => s == HttpStatusCode.OK, what: "both chats archived");
        await Eventually.Get(async () => (await admin.GetAsync($"/api/collections/chats/records/{address.ChatId}", _ct)).StatusCode,
            s => s == HttpStatusCode.OK, what: "both chats archived");

        using var response = await Api.Client.GetAsync("/api/chats?perPage=500&q=" + Uri.EscapeDataString("ash Bob\\"), _ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var names = (await response.Content.ReadFromJsonAsync<JsonObject>(_ct))!["items"]!.AsArray().Select(c => c.Str("name")).ToList();
        Assert.Contains("Backslash Bob\\", names);
        Assert.DoesNotContain("Backslash Bobby", names);

        using var wildcard = await Api.Client.GetAsync("/api/chats?perPage=500&q=" + Uri.EscapeDataString("Backslash%Bob"), _ct);
        Assert.Equal(HttpStatusCode.OK, wildcard.StatusCode);
        Assert.Empty((await wildcard.Content.ReadFromJsonAsync<JsonObject>(_ct))!["items"]!.AsArray());
    }

    [Fact]
    public async Task A_platform_message_id_ending_in_a_backslash_does_not_block_the_archive()
    {
        var address = NewTelegramChat();
        var grain = Api.Grains.GetGrain<IChatGrain>(address.ChatId);
        await grain.ReceiveAsync(Text(address, "77\\", "first"));
        using var admin = await fixture.PocketBase.AdminAsync();
        var stored = await Eventually.Get(() => MessageRecordsAsync(admin, address.ChatId, _ct), r => r.Count == 1, what: "stored");

        // Another id for the same chat + platformMessageId makes the archive look the record up by that id.
        var archive = Api.App.Services.GetRequiredService<IChatArchive>();
        var copy = new ChatMessage
        {
            Id = "zzzzzzzzzzzzzzz", PlatformMessageId = "77\\", Source = "telegram", Platform = "telegram", ChatId = address.ChatId,
            Content = "first, again", IsIncoming = true, Timestamp = DateTimeOffset.UtcNow, SenderId = address.PlatformChatId,
        };
        await archive.UpsertMessageAsync(copy, _ct);
        var only = Assert.Single(await MessageRecordsAsync(admin, address.ChatId, _ct));
        Assert.Equal(stored[0].Str("id"), only.Str("id"));
        Assert.Equal("first, again", only.Str("content"));

        await grain.ReceiveAsync(Text(address, "78", "second"));
        await Eventually.Get(() => MessageRecordsAsync(admin, address.ChatId, _ct), r => r.Count == 2, what: "the next message archived too");
    }

    [Fact]
    public async Task An_idempotency_key_ending_in_a_backslash_is_stored_by_its_hash_and_still_deduplicates()
    {
        var address = NewTelegramChat();
        await Api.Grains.GetGrain<IChatGrain>(address.ChatId).ReceiveAsync(Text(address, "in-1", "hello"));
        async Task<JsonObject> Post(string text)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/messages")
            {
                Content = JsonContent.Create(new { source = "telegram", platformChatId = address.PlatformChatId, text }),
            };
            request.Headers.Add("Idempotency-Key", "order-42' || true \\");
            using var response = await Api.Client.SendAsync(request, _ct);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<JsonObject>(_ct))!;
        }
        var first = await Post("Your order ships today.");
        var again = await Post("Your order ships today.");
        Assert.Equal(first.Str("id"), again.Str("id"));
        Assert.DoesNotContain("order-42", first.Str("platformMessageId"), StringComparison.Ordinal);

        using var admin = await fixture.PocketBase.AdminAsync();
        List<JsonObject> records;
        try
        {
            records = await Eventually.Get(() => MessageRecordsAsync(admin, address.ChatId, _ct),
                r => r.Count == 2 && r.Any(m => m.Str("status") == MessageStatus.Sent), what: "the reply archived as sent");
        }
        catch (TimeoutException ex)
        {
            var mine = string.Join("\n", Api.Logs.Lines.Where(l => l.Contains(address.ChatId, StringComparison.Ordinal)));
            var stored = string.Join("\n", (await MessageRecordsAsync(admin, address.ChatId, _ct)).Select(m => m.ToJsonString()));
            throw new TimeoutException($"{ex.Message}\nrecords:\n{stored}\nlog:\n{mine}", ex);
        }
        Assert.All(records, m => Assert.DoesNotContain("order-42", m.Str("platformMessageId"), StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/api/chats?source=" + "telegram%27%20%7C%7C%20true", "source")]
    [InlineData("/api/chats?source=tele%5C", "source")]
    public async Task A_source_outside_the_safe_set_is_refused_with_400(string path, string detail)
    {
        using var response = await Api.Client.GetAsync(path, _ct);
        await AssertBadRequest(response, detail);
    }

    [Theory]
    [InlineData("""{"source":"telegram\\","platformChatId":"1","text":"x"}""", "source")]
    [InlineData("""{"source":"telegram","platformChatId":"1' || id!='","text":"x"}""", "platformChatId")]
    [InlineData("""{"source":"telegram","platformChatId":"12\\","text":"x"}""", "platformChatId")]
    [InlineData("""{"source":"instagram","visitorId":"v\\","text":"x"}""", "visitorId")]
    [InlineData("""{"chatId":"abc'def","text":"x"}""", "chatId")]
    public async Task A_message_to_a_chat_id_outside_the_safe_set_is_refused_with_400(string body, string detail)
    {
        using var response = await Api.Client.PostAsync("/api/messages", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), _ct);
        await AssertBadRequest(response, detail);
    }

    private static async Task AssertBadRequest(HttpResponseMessage response, string detail)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Contains(detail, problem.Str("detail"), StringComparison.Ordinal);
    }

    private async Task<string> TextCollectionAsync(HttpClient admin)
    {
        const string name = "filter_probe";
        using var existing = await admin.GetAsync($"/api/collections/{name}", _ct);
        if (existing.StatusCode == HttpStatusCode.NotFound)
        {
            using var created = await admin.PostAsJsonAsync("/api/collections", new
            {
                name,
                type = "base",
                schema = new object[] { new { name = "v", type = "text" }, new { name = "tag", type = "text" } },
            }, _ct);
            if (created.StatusCode != HttpStatusCode.BadRequest)
            {
                // 400 here: another test of this class created it at the same moment.
                created.EnsureSuccessStatusCode();
            }
        }
        return name;
    }
}

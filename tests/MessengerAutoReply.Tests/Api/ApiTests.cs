using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace MessengerAutoReply.Tests.Api;

public sealed class ApiTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;
    private HttpClient Client => fixture.Service.Client;

    private static string NewChatId() => Random.Shared.NextInt64(1_000_000, long.MaxValue).ToString();

    private async Task<JsonElement> PostText(string platformChatId, string text, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/messages")
        {
            Content = JsonContent.Create(new { source = "telegram", platformChatId, text, senderName = "Anna" }),
        };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }
        using var response = await Client.SendAsync(request, _ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>(_ct);
    }

    private async Task<ChatMessage> Receive(string platformChatId, string messageId, string text, string name = "Ivan Petrov")
    {
        var address = new ChatAddress { Source = Sources.Telegram, Platform = Platforms.Telegram, PlatformChatId = platformChatId, Name = name };
        var result = await fixture.Service.Grains.GetGrain<IChatGrain>(address.ChatId).ReceiveAsync(new InboundMessage
        {
            Chat = address,
            PlatformMessageId = messageId,
            Content = text,
            SenderId = platformChatId,
            SenderName = name,
            Timestamp = DateTimeOffset.UtcNow,
        });
        return result.Message!;
    }

    private static async Task AssertProblem(HttpResponseMessage response, HttpStatusCode status, string detailContains)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.Contains(detailContains, problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("GET", "/api/chats")]
    [InlineData("GET", "/api/chats/abcdefghijklmno")]
    [InlineData("GET", "/api/chats/abcdefghijklmno/messages")]
    [InlineData("PATCH", "/api/chats/abcdefghijklmno/autoMode")]
    [InlineData("POST", "/api/messages")]
    [InlineData("GET", "/api/stream")]
    [InlineData("GET", "/api/media/abcdefghijklmno")]
    public async Task Every_api_route_needs_the_key(string method, string path)
    {
        using var anonymous = fixture.Service.CreateClient(apiKey: null);
        using var missing = await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), _ct);
        await AssertProblem(missing, HttpStatusCode.Unauthorized, "X-API-Key");

        using var wrongClient = fixture.Service.CreateClient(apiKey: "wrong-key");
        using var wrong = await wrongClient.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), _ct);
        await AssertProblem(wrong, HttpStatusCode.Unauthorized, "wrong");
    }

    [Fact]
    public async Task The_key_as_a_query_parameter_only_where_no_header_can_be_sent_and_health_needs_none()
    {
        using var anonymous = fixture.Service.CreateClient(apiKey: null);
        // Decision 14: <img>/<audio> cannot send a header, so media takes ?apiKey= (the key is right: 404 for an
        // unknown id, not 401); a route an integration calls with headers does not.
        using var media = await anonymous.GetAsync($"/api/media/unknownmedia0000?apiKey={TestService.ApiKey}", _ct);
        Assert.Equal(HttpStatusCode.NotFound, media.StatusCode);
        using var viaQuery = await anonymous.GetAsync($"/api/chats?apiKey={TestService.ApiKey}", _ct);
        Assert.Equal(HttpStatusCode.Unauthorized, viaQuery.StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live", _ct)).StatusCode);
        using var ready = await anonymous.GetAsync("/health/ready", _ct);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.DoesNotContain(TestService.ApiKey, await ready.Content.ReadAsStringAsync(_ct));
    }

    [Fact]
    public async Task A_posted_message_is_stored_pending_then_sent_and_listed()
    {
        var platformChatId = NewChatId();
        var posted = await PostText(platformChatId, "Your order has shipped");

        Assert.Equal("pending", posted.GetProperty("status").GetString());
        Assert.Equal("operator", posted.GetProperty("responseMode").GetString());
        Assert.False(posted.GetProperty("isIncoming").GetBoolean());
        Assert.Equal("telegram", posted.GetProperty("source").GetString());
        var chatId = posted.GetProperty("chatId").GetString()!;
        Assert.Equal(ChatIds.ForChat("telegram", platformChatId), chatId);
        Assert.Matches("^[a-z0-9]{15}$", posted.GetProperty("id").GetString());

        var messages = await Eventually.Get(
            () => Client.GetFromJsonAsync<JsonElement>($"/api/chats/{chatId}/messages", _ct),
            page => page.GetProperty("items").EnumerateArray().Any(m => m.GetProperty("status").GetString() == "sent"),
            what: "message marked sent");
        Assert.Equal(1, messages.GetProperty("totalItems").GetInt32());
        Assert.Single(fixture.Telegram.SentTo(chatId));

        var chats = await Client.GetFromJsonAsync<JsonElement>($"/api/chats?perPage=500", _ct);
        var chat = chats.GetProperty("items").EnumerateArray().Single(c => c.GetProperty("id").GetString() == chatId);
        Assert.Equal(platformChatId, chat.GetProperty("platformChatId").GetString());
        // An operator's message takes the chat over (decision 9).
        Assert.False(chat.GetProperty("autoMode").GetBoolean());
        foreach (var field in new[] { "id", "platformChatId", "source", "name", "updated", "openAIThreadId", "autoMode" })
        {
            Assert.True(chat.TryGetProperty(field, out _), $"chat has {field}");
        }
        foreach (var field in new[] { "id", "platformMessageId", "source", "chatId", "type", "content", "mediaFileId", "isIncoming", "timestamp", "senderId", "senderName", "responseMode" })
        {
            Assert.True(posted.TryGetProperty(field, out _), $"message has {field}");
        }
    }

    [Fact]
    public async Task The_same_idempotency_key_twice_is_one_message()
    {
        var platformChatId = NewChatId();
        var first = await PostText(platformChatId, "only once", key: "order-42");
        var second = await PostText(platformChatId, "only once", key: "order-42");
        Assert.Equal(first.GetProperty("id").GetString(), second.GetProperty("id").GetString());
        var chatId = first.GetProperty("chatId").GetString()!;
        // A chat delivers in order, one message at a time: once a later message is out, a second copy of the
        // first (if one were queued) would have gone out before it.
        await PostText(platformChatId, "marker", key: "order-43");
        await Eventually.True(() => fixture.Telegram.SentTo(chatId).Any(m => m.Content == "marker"), what: "the marker delivered");
        Assert.Equal(["only once", "marker"], fixture.Telegram.SentTo(chatId).Select(m => m.Content));
    }

    [Fact]
    public async Task Chats_are_paged_newest_first_and_filtered()
    {
        var names = new List<string>();
        var tag = Guid.NewGuid().ToString("N")[..6];
        for (var i = 0; i < 3; i++)
        {
            var name = $"Pager {tag} {i}";
            names.Add(name);
            await Receive(NewChatId(), "1", "hello", name);
        }

        // The archive is written through behind grain state (decision 4): wait for it.
        var page = await Eventually.Get(() => Client.GetFromJsonAsync<JsonElement>($"/api/chats?q=Pager%20{tag}&perPage=2", _ct),
            p => p.GetProperty("totalItems").GetInt32() == 3 && p.GetProperty("items")[0].GetProperty("name").GetString() == names[2]);
        Assert.Equal(3, page.GetProperty("totalItems").GetInt32());
        Assert.Equal(2, page.GetProperty("totalPages").GetInt32());
        Assert.Equal(2, page.GetProperty("perPage").GetInt32());
        Assert.Equal([names[2], names[1]], page.GetProperty("items").EnumerateArray().Select(c => c.GetProperty("name").GetString()));

        var second = await Client.GetFromJsonAsync<JsonElement>($"/api/chats?q=pager%20{tag}&perPage=2&page=2", _ct);
        Assert.Equal(names[0], second.GetProperty("items")[0].GetProperty("name").GetString());

        var instagram = await Client.GetFromJsonAsync<JsonElement>($"/api/chats?q=Pager%20{tag}&source=instagram", _ct);
        Assert.Equal(0, instagram.GetProperty("totalItems").GetInt32());
    }

    [Fact]
    public async Task Messages_are_oldest_first_by_default_and_newest_first_on_request()
    {
        var platformChatId = NewChatId();
        var first = await Receive(platformChatId, "1", "first");
        await Receive(platformChatId, "2", "second");
        await Receive(platformChatId, "3", "third");

        var ascending = await Eventually.Get(() => Client.GetFromJsonAsync<JsonElement>($"/api/chats/{first.ChatId}/messages", _ct),
            p => p.GetProperty("totalItems").GetInt32() == 3);
        Assert.Equal(["first", "second", "third"], ascending.GetProperty("items").EnumerateArray().Select(m => m.GetProperty("content").GetString()));
        var descending = await Client.GetFromJsonAsync<JsonElement>($"/api/chats/{first.ChatId}/messages?sort=-timestamp&perPage=2", _ct);
        Assert.Equal(["third", "second"], descending.GetProperty("items").EnumerateArray().Select(m => m.GetProperty("content").GetString()));
    }

    [Fact]
    public async Task AutoMode_is_switched_and_persisted()
    {
        var message = await Receive(NewChatId(), "1", "hi");
        using var off = await Client.PatchAsJsonAsync($"/api/chats/{message.ChatId}/autoMode", new { autoMode = false }, _ct);
        Assert.Equal(HttpStatusCode.OK, off.StatusCode);
        Assert.False((await off.Content.ReadFromJsonAsync<JsonElement>(_ct)).GetProperty("autoMode").GetBoolean());

        var chat = await Client.GetFromJsonAsync<JsonElement>($"/api/chats/{message.ChatId}", _ct);
        Assert.False(chat.GetProperty("autoMode").GetBoolean());
        var listed = await Eventually.Get(() => Client.GetFromJsonAsync<JsonElement>($"/api/chats?perPage=500", _ct),
            p => p.GetProperty("items").EnumerateArray().Any(c => c.GetProperty("id").GetString() == message.ChatId && !c.GetProperty("autoMode").GetBoolean()));
        Assert.NotEqual(JsonValueKind.Undefined, listed.ValueKind);
    }

    [Fact]
    public async Task A_chat_the_archive_already_knows_keeps_its_settings_on_first_contact()
    {
        // As after a migration: the archive has the chat (autoMode off, an old thread id), the grain has nothing.
        var platformChatId = NewChatId();
        var archive = (MessengerAutoReply.Archive.IChatArchive)fixture.Service.App.Services.GetService(typeof(MessengerAutoReply.Archive.IChatArchive))!;
        var chatId = ChatIds.ForChat(Sources.Telegram, platformChatId);
        await archive.UpsertChatAsync(new Chat
        {
            Id = chatId,
            PlatformChatId = platformChatId,
            Source = Sources.Telegram,
            Platform = Platforms.Telegram,
            Name = "Migrated",
            AutoMode = false,
            OpenAIThreadId = "thread_legacy",
            Updated = DateTimeOffset.UtcNow.AddDays(-30),
        }, _ct);

        await Receive(platformChatId, "1", "back again");
        var chat = await fixture.Service.Grains.GetGrain<IChatGrain>(chatId).GetAsync();
        Assert.False(chat!.AutoMode);
        Assert.Equal("thread_legacy", chat.OpenAIThreadId);
    }

    [Fact]
    public async Task Unknown_chats_are_404()
    {
        using var patch = await Client.PatchAsJsonAsync("/api/chats/zzzzzzzzzzzzzzz/autoMode", new { autoMode = true }, _ct);
        await AssertProblem(patch, HttpStatusCode.NotFound, "zzzzzzzzzzzzzzz");
        using var get = await Client.GetAsync("/api/chats/not-an-id/messages", _ct);
        await AssertProblem(get, HttpStatusCode.NotFound, "not-an-id");
        using var post = await Client.PostAsJsonAsync("/api/messages", new { chatId = "zzzzzzzzzzzzzzz", text = "hi" }, _ct);
        await AssertProblem(post, HttpStatusCode.NotFound, "zzzzzzzzzzzzzzz");
    }

    [Theory]
    [InlineData("{\"source\":\"telegram\",", "not valid JSON")]
    [InlineData("{\"source\":\"telegram\",\"platformChatId\":\"1\"}", "text is required")]
    [InlineData("{\"source\":\"telegram\",\"text\":\"hi\"}", "platformChatId is required")]
    [InlineData("{\"text\":\"hi\"}", "source is required")]
    [InlineData("{\"source\":\"fax\",\"platformChatId\":\"1\",\"text\":\"hi\"}", "source 'fax' is unknown")]
    [InlineData("{\"source\":\"instagram\",\"text\":\"hi\"}", "visitorId is required")]
    [InlineData("{\"source\":\"telegram\",\"platformChatId\":\"1\",\"text\":\"hi\",\"responseMode\":\"ai\"}", "responseMode")]
    [InlineData("{\"source\":\"telegram\",\"platformChatId\":1,\"text\":\"hi\"}", "platformChatId has the wrong type")]
    [InlineData("[1,2]", "not valid JSON")]
    public async Task Bad_messages_get_a_problem_naming_the_field(string body, string detail)
    {
        using var response = await Client.PostAsync("/api/messages", new StringContent(body, Encoding.UTF8, "application/json"), _ct);
        await AssertProblem(response, HttpStatusCode.BadRequest, detail);
    }

    [Fact]
    public async Task Bad_autoMode_bodies_and_paging_get_a_400()
    {
        var message = await Receive(NewChatId(), "1", "hi");
        using var wrongType = await Client.PatchAsync($"/api/chats/{message.ChatId}/autoMode", new StringContent("{\"autoMode\":\"yes\"}", Encoding.UTF8, "application/json"), _ct);
        await AssertProblem(wrongType, HttpStatusCode.BadRequest, "autoMode");
        using var missing = await Client.PatchAsync($"/api/chats/{message.ChatId}/autoMode", new StringContent("{}", Encoding.UTF8, "application/json"), _ct);
        await AssertProblem(missing, HttpStatusCode.BadRequest, "autoMode is required");
        using var perPage = await Client.GetAsync("/api/chats?perPage=501", _ct);
        await AssertProblem(perPage, HttpStatusCode.BadRequest, "perPage");
        using var page = await Client.GetAsync("/api/chats?page=0", _ct);
        await AssertProblem(page, HttpStatusCode.BadRequest, "page");
        using var sort = await Client.GetAsync($"/api/chats/{message.ChatId}/messages?sort=content", _ct);
        await AssertProblem(sort, HttpStatusCode.BadRequest, "sort");
    }

    [Fact]
    public async Task An_oversize_or_non_json_body_is_refused_and_nothing_accepted_is_lost()
    {
        var platformChatId = NewChatId();
        var kept = await PostText(platformChatId, "accepted before");
        var huge = JsonSerializer.Serialize(new { source = "telegram", platformChatId, text = new string('x', 70_000) });
        using var tooLarge = await Client.PostAsync("/api/messages", new StringContent(huge, Encoding.UTF8, "application/json"), _ct);
        await AssertProblem(tooLarge, HttpStatusCode.RequestEntityTooLarge, "larger than");
        using var plain = await Client.PostAsync("/api/messages", new StringContent("hello", Encoding.UTF8, "text/plain"), _ct);
        await AssertProblem(plain, HttpStatusCode.UnsupportedMediaType, "JSON");

        var chatId = kept.GetProperty("chatId").GetString()!;
        var page = await Eventually.Get(() => Client.GetFromJsonAsync<JsonElement>($"/api/chats/{chatId}/messages", _ct), p => p.GetProperty("totalItems").GetInt32() == 1);
        Assert.Equal("accepted before", page.GetProperty("items")[0].GetProperty("content").GetString());
    }

    [Fact]
    public async Task A_platform_that_is_not_configured_answers_503_naming_the_variable()
    {
        using var response = await Client.PostAsJsonAsync("/api/messages", new { source = "instagram", visitorId = "v-1", text = "hi" }, _ct);
        await AssertProblem(response, HttpStatusCode.ServiceUnavailable, "BREVO_API_KEY");
    }

    [Fact]
    public async Task Unknown_media_is_404()
    {
        using var response = await Client.GetAsync("/api/media/abcdefghijklmno", _ct);
        await AssertProblem(response, HttpStatusCode.NotFound, "abcdefghijklmno");
    }

    [Fact]
    public async Task The_api_key_never_reaches_the_log()
    {
        using var anonymous = fixture.Service.CreateClient(apiKey: null);
        using var _ = await anonymous.GetAsync($"/api/chats?apiKey={TestService.ApiKey}&perPage=1", _ct);
        await Eventually.True(() => fixture.Service.Logs.Lines.Any(l => l.Contains("/api/chats", StringComparison.Ordinal)), what: "request logged");
        Assert.DoesNotContain(fixture.Service.Logs.Lines, l => l.Contains(TestService.ApiKey, StringComparison.Ordinal));
        Assert.Contains(fixture.Service.Logs.Lines, l => l.Contains("apiKey=***", StringComparison.Ordinal));
    }
}

/// <summary>An archive that refuses some records for their content, as a PocketBase with an operator's rule would.</summary>
internal sealed class PickyArchive(MessengerAutoReply.Archive.IChatArchive inner) : MessengerAutoReply.Archive.IChatArchive
{
    public Task UpsertChatAsync(Chat chat, CancellationToken cancellationToken) => inner.UpsertChatAsync(chat, cancellationToken);

    public Task UpsertMessageAsync(ChatMessage message, CancellationToken cancellationToken) =>
        message.Content?.Contains("poison", StringComparison.Ordinal) == true
            ? throw new MessengerAutoReply.Archive.ArchiveRejectedException("content: validation_required")
            : inner.UpsertMessageAsync(message, cancellationToken);

    public Task<Chat?> GetChatAsync(string chatId, CancellationToken cancellationToken) => inner.GetChatAsync(chatId, cancellationToken);

    public Task<MessengerAutoReply.Archive.Paged<Chat>> ListChatsAsync(MessengerAutoReply.Archive.ChatQuery query, CancellationToken cancellationToken) =>
        inner.ListChatsAsync(query, cancellationToken);

    public Task<MessengerAutoReply.Archive.Paged<ChatMessage>> ListMessagesAsync(string chatId, MessengerAutoReply.Archive.MessageQuery query, CancellationToken cancellationToken) =>
        inner.ListMessagesAsync(chatId, query, cancellationToken);
}

/// <summary>An archive that takes writes only when the test lets it: the archive lagging grain state.</summary>
internal sealed class GatedArchive(MessengerAutoReply.Archive.IChatArchive inner) : MessengerAutoReply.Archive.IChatArchive
{
    public TaskCompletionSource Open { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task UpsertChatAsync(Chat chat, CancellationToken cancellationToken)
    {
        await Open.Task;
        await inner.UpsertChatAsync(chat, cancellationToken);
    }

    public async Task UpsertMessageAsync(ChatMessage message, CancellationToken cancellationToken)
    {
        await Open.Task;
        await inner.UpsertMessageAsync(message, cancellationToken);
    }

    public Task<Chat?> GetChatAsync(string chatId, CancellationToken cancellationToken) => inner.GetChatAsync(chatId, cancellationToken);

    public Task<MessengerAutoReply.Archive.Paged<Chat>> ListChatsAsync(MessengerAutoReply.Archive.ChatQuery query, CancellationToken cancellationToken) =>
        inner.ListChatsAsync(query, cancellationToken);

    public Task<MessengerAutoReply.Archive.Paged<ChatMessage>> ListMessagesAsync(string chatId, MessengerAutoReply.Archive.MessageQuery query, CancellationToken cancellationToken) =>
        inner.ListMessagesAsync(chatId, query, cancellationToken);
}

public sealed class ArchiveRejectionTests
{
    [Fact]
    public async Task Messages_the_archive_does_not_have_yet_are_in_the_history_answer()
    {
        var ct = TestContext.Current.CancellationToken;
        using var data = new TempDir();
        var gated = new GatedArchive(new MessengerAutoReply.Archive.SqliteChatArchive(Path.Combine(data.Path, "archive.db")));
        await using var service = await TestService.StartAsync(data.Path, configure: builder =>
            builder.Services.AddSingleton<MessengerAutoReply.Archive.IChatArchive>(gated));
        var address = new ChatAddress { Source = Sources.Telegram, Platform = Platforms.Telegram, PlatformChatId = "4711", Name = "Lag" };
        await service.Grains.GetGrain<IChatGrain>(address.ChatId).ReceiveAsync(new InboundMessage { Chat = address, PlatformMessageId = "1", Content = "not archived yet" });

        var page = await service.Client.GetFromJsonAsync<JsonElement>($"/api/chats/{address.ChatId}/messages", ct);
        Assert.Equal(1, page.GetProperty("totalItems").GetInt32());
        Assert.Equal("not archived yet", page.GetProperty("items")[0].GetProperty("content").GetString());
        var newestFirst = await service.Client.GetFromJsonAsync<JsonElement>($"/api/chats/{address.ChatId}/messages?sort=-timestamp", ct);
        Assert.Equal(1, newestFirst.GetProperty("totalItems").GetInt32());

        gated.Open.SetResult();
        await Eventually.Get(() => gated.ListMessagesAsync(address.ChatId, new MessengerAutoReply.Archive.MessageQuery(), ct), p => p.TotalItems == 1);
        var after = await Eventually.Get(() => service.Client.GetFromJsonAsync<JsonElement>($"/api/chats/{address.ChatId}/messages", ct),
            p => p.GetProperty("totalItems").GetInt32() == 1);
        Assert.Single(after.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task A_record_the_archive_refuses_is_set_aside_and_later_writes_of_the_chat_flow()
    {
        var ct = TestContext.Current.CancellationToken;
        using var data = new TempDir();
        await using var service = await TestService.StartAsync(data.Path, configure: builder =>
            builder.Services.AddSingleton<MessengerAutoReply.Archive.IChatArchive>(
                new PickyArchive(new MessengerAutoReply.Archive.SqliteChatArchive(Path.Combine(data.Path, "archive.db")))));
        var address = new ChatAddress { Source = Sources.Telegram, Platform = Platforms.Telegram, PlatformChatId = "31337", Name = "Picky" };
        var grain = service.Grains.GetGrain<IChatGrain>(address.ChatId);
        await grain.ReceiveAsync(new InboundMessage { Chat = address, PlatformMessageId = "1", Content = "poison pill" });
        await grain.ReceiveAsync(new InboundMessage { Chat = address, PlatformMessageId = "2", Content = "after it" });

        var page = await Eventually.Get(() => service.Client.GetFromJsonAsync<JsonElement>($"/api/chats/{address.ChatId}/messages", ct),
            p => p.GetProperty("totalItems").GetInt32() == 1, what: "the later message archived");
        Assert.Equal("after it", page.GetProperty("items")[0].GetProperty("content").GetString());
        Assert.Contains(service.Logs.Lines, l => l.Contains("refuses write", StringComparison.Ordinal));
    }
}

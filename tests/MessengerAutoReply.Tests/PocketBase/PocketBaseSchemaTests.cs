using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MessengerAutoReply.Archive;
using MessengerAutoReply.Archive.PocketBase;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Hosting;
using MessengerAutoReply.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MessengerAutoReply.Tests.PocketBase;

/// <summary>
/// The schema bootstrap against a real PocketBase 0.22.20 that no other test class touches: the class fixture
/// bootstraps an empty one once; the operator-made case starts another.
/// </summary>
public sealed class PocketBaseSchemaTests(PocketBaseSchemaTests.FreshPocketBase fresh) : IClassFixture<PocketBaseSchemaTests.FreshPocketBase>
{
    private const string AuthRule = "@request.auth.id != ''";
    private const string AdminRule = "@request.auth.id != '' && @request.auth.type = 'admin'";

    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    internal static ServiceProvider Adapter(PocketBaseServer pocketBase, LogCapture? logs = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(pocketBase.Settings).Build();
        var services = new ServiceCollection();
        services.AddLogging(b =>
        {
            if (logs is not null)
            {
                b.AddProvider(logs);
            }
        });
        services.AddSingleton(TimeProvider.System);
        services.AddPocketBaseArchive(ServiceSettings.Load(configuration));
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task A_fresh_PocketBase_gets_the_three_collections_with_the_seeds_fields_and_rules()
    {
        var pocketBase = fresh.Server;
        using var admin = await pocketBase.AdminAsync();
        var media = await Collection(admin, "media");
        var chats = await Collection(admin, "chats");
        var messages = await Collection(admin, "messages");

        AssertField(media, "file", "file", required: true);
        Assert.Equal(1, Field(media, "file")["options"]!["maxSelect"]!.GetValue<int>());
        AssertField(media, "platform", "text", required: true);

        AssertField(chats, "platformChatId", "text", required: true);
        AssertField(chats, "source", "text", required: true);
        AssertField(chats, "name", "text", required: false);
        AssertField(chats, "openAIThreadId", "text", required: false);
        AssertField(chats, "autoMode", "bool", required: false);
        foreach (var (name, type) in new[] { ("lastMessage", "text"), ("lastMessageAt", "date"), ("unanswered", "bool"), ("aiRunning", "bool"), ("error", "text"), ("isGroup", "bool"), ("platform", "text") })
        {
            AssertField(chats, name, type, required: false);
        }
        Assert.Contains(Indexes(chats), i => i.StartsWith("CREATE UNIQUE INDEX", StringComparison.Ordinal) && i.Contains("source") && i.Contains("platformChatId"));

        AssertField(messages, "platformMessageId", "text", required: true);
        AssertField(messages, "source", "text", required: true);
        AssertField(messages, "chatId", "relation", required: true);
        AssertField(messages, "type", "text", required: true);
        AssertField(messages, "content", "text", required: false);
        AssertField(messages, "mediaFileId", "relation", required: false);
        // The seed says required; PocketBase would then refuse false, so it is optional (README).
        AssertField(messages, "isIncoming", "bool", required: false);
        AssertField(messages, "timestamp", "date", required: true);
        AssertField(messages, "senderId", "text", required: true);
        AssertField(messages, "senderName", "text", required: false);
        AssertField(messages, "responseMode", "text", required: false);
        foreach (var name in new[] { "platform", "status", "error", "fileName", "mimeType" })
        {
            AssertField(messages, name, "text", required: false);
        }
        Assert.Equal(chats["id"]!.GetValue<string>(), Field(messages, "chatId")["options"]!["collectionId"]!.GetValue<string>());
        Assert.Equal(media["id"]!.GetValue<string>(), Field(messages, "mediaFileId")["options"]!["collectionId"]!.GetValue<string>());
        Assert.Contains(Indexes(messages), PocketBaseSchema.IsUniqueChatMessageIndex);

        foreach (var collection in new[] { media, chats, messages })
        {
            Assert.Equal(AuthRule, collection["listRule"]!.GetValue<string>());
            Assert.Equal(AuthRule, collection["viewRule"]!.GetValue<string>());
            Assert.Equal(AuthRule, collection["createRule"]!.GetValue<string>());
            Assert.Equal(AuthRule, collection["updateRule"]!.GetValue<string>());
            Assert.Equal(AdminRule, collection["deleteRule"]!.GetValue<string>());
        }

        // The unique indexes really hold: the same chat key twice, the same message key twice in one chat.
        var chat = new { platformChatId = "42", source = "telegram" };
        var first = await admin.PostAsJsonAsync("/api/collections/chats/records", chat, _ct);
        first.EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("/api/collections/chats/records", chat, _ct)).StatusCode);
        (await admin.PostAsJsonAsync("/api/collections/chats/records", new { platformChatId = "42", source = "instagram" }, _ct)).EnsureSuccessStatusCode();
        var chatId = (await first.Content.ReadFromJsonAsync<JsonObject>(_ct))!["id"]!.GetValue<string>();
        var message = new { platformMessageId = "1", source = "telegram", chatId, type = "text", timestamp = "2024-05-01 10:00:00.000Z", senderId = "42" };
        (await admin.PostAsJsonAsync("/api/collections/messages/records", message, _ct)).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("/api/collections/messages/records", message, _ct)).StatusCode);
        // isIncoming=false is storable.
        (await admin.PostAsJsonAsync("/api/collections/messages/records", message with { platformMessageId = "2" }, _ct)).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task A_second_start_changes_nothing()
    {
        var pocketBase = fresh.Server;
        using var admin = await pocketBase.AdminAsync();
        var before = await admin.GetStringAsync("/api/collections?perPage=500&sort=name", _ct);

        var logs = new LogCapture();
        await using (var adapter = Adapter(pocketBase, logs))
        {
            await adapter.GetRequiredService<PocketBaseSchema>().EnsureAsync(_ct);
        }

        Assert.Equal(before, await admin.GetStringAsync("/api/collections?perPage=500&sort=name", _ct));
        Assert.DoesNotContain(logs.Lines, l => l.Contains("created collection", StringComparison.Ordinal) || l.Contains("added fields", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Collections_an_operator_made_are_used_as_they_are_and_their_records_keep_their_ids()
    {
        await using var pocketBase = await PocketBaseServer.StartNewAsync();
        using var admin = await pocketBase.AdminAsync();
        // As the original service's operator made them from the seed: no field ids (PocketBase invents random
        // ones), unique platformChatId alone, no unique message index, their own rules.
        var media = await Create(admin, new JsonObject
        {
            ["name"] = "media", ["type"] = "base",
            ["schema"] = new JsonArray(
                new JsonObject { ["name"] = "file", ["type"] = "file", ["required"] = true, ["options"] = new JsonObject { ["maxSelect"] = 1, ["maxSize"] = 5242880 } },
                new JsonObject { ["name"] = "platform", ["type"] = "text", ["required"] = true }),
        });
        var chats = await Create(admin, new JsonObject
        {
            ["name"] = "chats", ["type"] = "base",
            ["schema"] = new JsonArray(
                new JsonObject { ["name"] = "platformChatId", ["type"] = "text", ["required"] = true },
                new JsonObject { ["name"] = "source", ["type"] = "text", ["required"] = true },
                new JsonObject { ["name"] = "name", ["type"] = "text" },
                new JsonObject { ["name"] = "openAIThreadId", ["type"] = "text" },
                new JsonObject { ["name"] = "autoMode", ["type"] = "bool" }),
            ["indexes"] = new JsonArray("CREATE UNIQUE INDEX idx_chats_pcid ON chats (platformChatId)"),
            ["listRule"] = "", ["viewRule"] = AuthRule,
        });
        await Create(admin, new JsonObject
        {
            ["name"] = "messages", ["type"] = "base",
            ["schema"] = new JsonArray(
                new JsonObject { ["name"] = "platformMessageId", ["type"] = "text", ["required"] = true },
                new JsonObject { ["name"] = "source", ["type"] = "text", ["required"] = true },
                new JsonObject { ["name"] = "chatId", ["type"] = "relation", ["required"] = true, ["options"] = new JsonObject { ["collectionId"] = chats["id"]!.GetValue<string>(), ["maxSelect"] = 1 } },
                new JsonObject { ["name"] = "type", ["type"] = "text", ["required"] = true },
                new JsonObject { ["name"] = "content", ["type"] = "text" },
                new JsonObject { ["name"] = "mediaFileId", ["type"] = "relation", ["options"] = new JsonObject { ["collectionId"] = media["id"]!.GetValue<string>(), ["maxSelect"] = 1 } },
                new JsonObject { ["name"] = "isIncoming", ["type"] = "bool" },
                new JsonObject { ["name"] = "timestamp", ["type"] = "date", ["required"] = true },
                new JsonObject { ["name"] = "senderId", ["type"] = "text", ["required"] = true },
                new JsonObject { ["name"] = "senderName", ["type"] = "text" },
                new JsonObject { ["name"] = "responseMode", ["type"] = "text" }),
        });
        // Records the original service wrote, with random ids.
        var oldChat = await Record(admin, "chats", new { platformChatId = "777", source = "telegram", name = "Old customer", openAIThreadId = "thread_old", autoMode = false });
        var oldMessage = await Record(admin, "messages", new
        {
            platformMessageId = "100", source = "telegram", chatId = oldChat, type = "text", content = "hello from before",
            isIncoming = true, timestamp = "2024-05-01 10:00:00.000Z", senderId = "777",
        });
        var fieldIdsBefore = new Dictionary<string, Dictionary<string, string>>();
        foreach (var name in new[] { "media", "chats", "messages" })
        {
            fieldIdsBefore[name] = FieldIds(await Collection(admin, name));
        }
        var chatsBefore = await Collection(admin, "chats");

        var logs = new LogCapture();
        await using var adapter = Adapter(pocketBase, logs);
        var info = await adapter.GetRequiredService<PocketBaseSchema>().EnsureAsync(_ct);
        Assert.False(info.MessagesUniqueByChat);

        foreach (var name in new[] { "media", "chats", "messages" })
        {
            var after = await Collection(admin, name);
            foreach (var (field, id) in fieldIdsBefore[name])
            {
                Assert.Equal(id, FieldIds(after)[field]);
            }
        }
        var chatsAfter = await Collection(admin, "chats");
        AssertField(chatsAfter, "lastMessage", "text", required: false);
        AssertField(await Collection(admin, "messages"), "status", "text", required: false);
        Assert.Equal(chatsBefore["listRule"]!.ToJsonString(), chatsAfter["listRule"]!.ToJsonString());
        Assert.Equal(Indexes(chatsBefore), Indexes(chatsAfter));
        var kept = await admin.GetFromJsonAsync<JsonObject>($"/api/collections/messages/records/{oldMessage}", _ct);
        Assert.Equal("hello from before", kept!["content"]!.GetValue<string>());
        Assert.Equal("thread_old", (await admin.GetFromJsonAsync<JsonObject>($"/api/collections/chats/records/{oldChat}", _ct))!["openAIThreadId"]!.GetValue<string>());

        // Our writes land on the operator's records: the chat by source + platformChatId, the message by chat + platformMessageId.
        var archive = adapter.GetRequiredService<IChatArchive>();
        var chatId = ChatIds.ForChat("telegram", "777");
        var chat = new Chat { Id = chatId, PlatformChatId = "777", Source = "telegram", Platform = "telegram", LastMessage = "edited", AutoMode = false };
        await archive.UpsertChatAsync(chat, _ct);
        await archive.UpsertMessageAsync(Message(chatId, "100", "hello from before, edited"), _ct);
        await archive.UpsertMessageAsync(Message(chatId, "101", "a new one"), _ct);

        var chatRecords = await admin.GetFromJsonAsync<JsonObject>("/api/collections/chats/records", _ct);
        Assert.Equal(1, chatRecords!["totalItems"]!.GetValue<int>());
        var chatRecord = chatRecords["items"]![0]!;
        Assert.Equal(oldChat, chatRecord["id"]!.GetValue<string>());
        Assert.Equal("edited", chatRecord["lastMessage"]!.GetValue<string>());
        Assert.Equal("thread_old", chatRecord["openAIThreadId"]!.GetValue<string>());
        var messageRecords = await admin.GetFromJsonAsync<JsonObject>("/api/collections/messages/records?sort=timestamp", _ct);
        Assert.Equal(2, messageRecords!["totalItems"]!.GetValue<int>());
        Assert.Equal(oldMessage, messageRecords["items"]![0]!["id"]!.GetValue<string>());
        Assert.Equal("hello from before, edited", messageRecords["items"]![0]!["content"]!.GetValue<string>());
        Assert.All(messageRecords["items"]!.AsArray(), m => Assert.Equal(oldChat, m!["chatId"]!.GetValue<string>()));

        // A fresh process (empty caches) reads the adopted chat under our id.
        await using var fresh = Adapter(pocketBase);
        var reader = fresh.GetRequiredService<IChatArchive>();
        var listed = await reader.ListChatsAsync(new ChatQuery(), _ct);
        Assert.Equal(chatId, Assert.Single(listed.Items).Id);
        await using var fresher = Adapter(pocketBase);
        var history = await fresher.GetRequiredService<IChatArchive>().ListMessagesAsync(chatId, new MessageQuery(), _ct);
        Assert.Equal(["100", "101"], history.Items.Select(m => m.PlatformMessageId));
        Assert.All(history.Items, m => Assert.Equal(chatId, m.ChatId));
    }

    private static ChatMessage Message(string chatId, string platformMessageId, string text) => new()
    {
        Id = ChatIds.ForIncoming(chatId, platformMessageId),
        PlatformMessageId = platformMessageId,
        Source = "telegram",
        Platform = "telegram",
        ChatId = chatId,
        Content = text,
        IsIncoming = true,
        Timestamp = DateTimeOffset.Parse("2024-05-01T10:00:00Z") + TimeSpan.FromMinutes(int.Parse(platformMessageId) - 100),
        SenderId = "777",
    };

    private async Task<JsonObject> Create(HttpClient admin, JsonObject collection)
    {
        using var response = await admin.PostAsJsonAsync("/api/collections", collection, _ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(_ct));
        return (await response.Content.ReadFromJsonAsync<JsonObject>(_ct))!;
    }

    private async Task<string> Record(HttpClient admin, string collection, object body)
    {
        using var response = await admin.PostAsJsonAsync($"/api/collections/{collection}/records", body, _ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(_ct));
        return (await response.Content.ReadFromJsonAsync<JsonObject>(_ct))!["id"]!.GetValue<string>();
    }

    private async Task<JsonObject> Collection(HttpClient admin, string name) =>
        (await admin.GetFromJsonAsync<JsonObject>($"/api/collections/{name}", _ct))!;

    private static JsonObject Field(JsonObject collection, string name) =>
        collection["schema"]!.AsArray().OfType<JsonObject>().SingleOrDefault(f => f["name"]!.GetValue<string>() == name)
        ?? throw new Xunit.Sdk.XunitException($"{collection["name"]} has no field {name}");

    private static void AssertField(JsonObject collection, string name, string type, bool required)
    {
        var field = Field(collection, name);
        Assert.Equal(type, field["type"]!.GetValue<string>());
        Assert.Equal(required, field["required"]!.GetValue<bool>());
    }

    private static Dictionary<string, string> FieldIds(JsonObject collection) =>
        collection["schema"]!.AsArray().OfType<JsonObject>().ToDictionary(f => f["name"]!.GetValue<string>(), f => f["id"]!.GetValue<string>());

    private static List<string> Indexes(JsonObject collection) =>
        [.. collection["indexes"]!.AsArray().Select(i => i!.GetValue<string>())];

    /// <summary>An empty PocketBase, bootstrapped once by a first adapter (a first start of the service).</summary>
    public sealed class FreshPocketBase : IAsyncLifetime
    {
        public PocketBaseServer Server { get; private set; } = null!;

        public async ValueTask InitializeAsync()
        {
            Server = await PocketBaseServer.StartNewAsync();
            await using var adapter = Adapter(Server);
            await adapter.GetRequiredService<PocketBaseSchema>().EnsureAsync(TestContext.Current.CancellationToken);
        }

        public async ValueTask DisposeAsync() => await Server.DisposeAsync();
    }
}

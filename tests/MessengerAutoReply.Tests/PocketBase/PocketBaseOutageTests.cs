using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MessengerAutoReply.Archive;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static MessengerAutoReply.Tests.PocketBase.PocketBaseTestKit;

namespace MessengerAutoReply.Tests.PocketBase;

/// <summary>
/// PocketBase goes away and comes back. These tests stop the server, so they own one (the run's shared
/// server stays up for everyone else).
/// </summary>
public sealed class PocketBaseOutageTests(PocketBaseOutageTests.OwnPocketBase own) : IClassFixture<PocketBaseOutageTests.OwnPocketBase>
{
    private const int Chats = 4;
    private const int PerChat = 50;

    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    private PocketBaseServer PocketBase => own.Server;

    [Fact]
    public async Task Down_at_start_and_while_200_messages_arrive_then_back_all_200_records_appear_in_order_none_twice()
    {
        await PocketBase.StopAsync();
        using var data = new TempDir();
        // Start-up does not wait for PocketBase: messages are accepted into grain state meanwhile.
        await using var api = await TestService.StartAsync(data.Path, PocketBase.Settings, [new RecordingGateway()]);
        var accepted = await AcceptAsync(api);

        using var chats = await api.Client.GetAsync("/api/chats", _ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, chats.StatusCode);
        Assert.Equal("application/problem+json", chats.Content.Headers.ContentType!.MediaType);
        var backlog = api.App.Services.GetRequiredService<ArchiveBacklog>();
        Assert.True(backlog.Pending >= Chats * PerChat, $"backlog {backlog.Pending}");
        var ready = await Eventually.Get(() => api.Client.GetFromJsonAsync<JsonObject>("/health/ready", _ct)!,
            h => h!["checks"]!["archiveBacklog"]!.Str("status") == "Degraded", what: "readiness reports the failing archive");
        Assert.True(ready!["checks"]!["archiveBacklog"]!["data"]!["backlog"]!.GetValue<int>() > 0);
        await PocketBase.StartAsync();
        await AssertAllStoredAsync(api, accepted);
    }

    [Fact]
    public async Task The_same_with_the_admin_token_expired_while_PocketBase_was_down()
    {
        await PocketBase.StartAsync();
        using (var admin = await PocketBase.AdminAsync())
        {
            // The shortest lifetime PocketBase allows.
            using var patch = await admin.PatchAsJsonAsync("/api/settings", new { adminAuthToken = new { duration = 5 } }, _ct);
            patch.EnsureSuccessStatusCode();
        }
        try
        {
            using var data = new TempDir();
            await using var api = await TestService.StartAsync(data.Path, PocketBase.Settings, [new RecordingGateway()]);
            var loggedInBy = DateTime.UtcNow;
            var warmup = NewTelegramChat();
            await api.Grains.GetGrain<IChatGrain>(warmup.ChatId).ReceiveAsync(Text(warmup, "1", "before the outage"));
            using (var admin = await PocketBase.AdminAsync())
            {
                await Eventually.Get(() => MessageRecordsAsync(admin, warmup.ChatId, _ct), r => r.Count == 1, what: "written before the outage");
            }
            var loginsBefore = Logins(api);

            await PocketBase.StopAsync();
            var accepted = await AcceptAsync(api);
            // Waiting for the world's clock, not for the service: the token it holds must be past its exp.
            await Eventually.True(() => DateTime.UtcNow > loggedInBy.AddSeconds(6), TimeSpan.FromSeconds(10), "token expired");
            await PocketBase.StartAsync();

            await AssertAllStoredAsync(api, accepted);
            Assert.True(Logins(api) > loginsBefore, "the service logged in again");
        }
        finally
        {
            using var admin = await PocketBase.AdminAsync();
            using var patch = await admin.PatchAsJsonAsync("/api/settings", new { adminAuthToken = new { duration = 1209600 } }, CancellationToken.None);
        }
    }

    private static int Logins(TestService api) => api.Logs.Lines.Count(l => l.Contains("Logged in to PocketBase", StringComparison.Ordinal));

    /// <summary>4 chats × 50 messages, the chats in parallel, each chat's messages in order.</summary>
    private static async Task<Dictionary<ChatAddress, List<string>>> AcceptAsync(TestService api)
    {
        var accepted = Enumerable.Range(0, Chats).Select(_ => NewTelegramChat()).ToDictionary(c => c, _ => new List<string>());
        var start = DateTimeOffset.UtcNow.AddMinutes(-10);
        await Task.WhenAll(accepted.Select(async pair =>
        {
            var grain = api.Grains.GetGrain<IChatGrain>(pair.Key.ChatId);
            for (var i = 0; i < PerChat; i++)
            {
                var result = await grain.ReceiveAsync(Text(pair.Key, $"{1000 + i}", $"message {i}", start.AddSeconds(i)));
                Assert.Equal(ReceiveOutcome.Accepted, result.Outcome);
                pair.Value.Add(result.Message!.Id);
            }
        }));
        return accepted;
    }

    private async Task AssertAllStoredAsync(TestService api, Dictionary<ChatAddress, List<string>> accepted)
    {
        using var admin = await PocketBase.AdminAsync();
        foreach (var (chat, ids) in accepted)
        {
            // Sorted by `created`: the order PocketBase received them in.
            var records = await Eventually.Get(() => MessageRecordsAsync(admin, chat.ChatId, _ct), r => r.Count >= PerChat,
                TimeSpan.FromSeconds(30), $"all of chat {chat.ChatId} stored");
            Assert.Equal(PerChat, records.Count);
            Assert.Equal(PerChat, records.Select(r => r.Str("platformMessageId")).Distinct().Count());
            Assert.Equal(ids, records.Select(r => r.Str("id")));
            var created = records.Select(r => r.Str("created")).ToList();
            Assert.Equal(created.Order(StringComparer.Ordinal), created);
            var chatRecord = (await admin.GetFromJsonAsync<JsonObject>($"/api/collections/chats/records/{chat.ChatId}", _ct))!;
            Assert.Equal($"message {PerChat - 1}", chatRecord.Str("lastMessage"));
        }
        var backlog = api.App.Services.GetRequiredService<ArchiveBacklog>();
        await Eventually.True(() => backlog.Pending == 0, what: "backlog drained");
        var history = (await api.Client.GetFromJsonAsync<JsonObject>($"/api/chats/{accepted.Keys.First().ChatId}/messages?perPage=500", _ct))!;
        Assert.Equal(Enumerable.Range(0, PerChat).Select(i => $"message {i}"), history["items"]!.AsArray().Select(m => m.Str("content")));
    }

    /// <summary>A PocketBase of this class's own, to stop and start.</summary>
    public sealed class OwnPocketBase : IAsyncLifetime
    {
        public PocketBaseServer Server { get; private set; } = null!;

        public async ValueTask InitializeAsync() => Server = await PocketBaseServer.StartNewAsync();

        public async ValueTask DisposeAsync() => await Server.DisposeAsync();
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Delivery;
using MessengerAutoReply.Silo;
using MessengerAutoReply.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace MessengerAutoReply.Tests.Hosting;

public sealed class HostingModeTests(RedisFixture redis)
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task Embedded_state_and_pending_deliveries_survive_a_restart()
    {
        using var data = new TempDir();
        var broken = new RecordingGateway();
        // Every send fails (transiently) in the first run: the reply must still be pending when it stops.
        broken.Script([.. Enumerable.Repeat(DeliveryResult.Transient("network down"), 1000)]);
        string chatId;
        await using (var first = await TestService.StartAsync(data.Path, new Dictionary<string, string?> { ["DELIVERY_MAX_ATTEMPTS"] = "100" }, [broken]))
        {
            using var posted = await first.Client.PostAsJsonAsync("/api/messages", new { source = "telegram", platformChatId = "4242", text = "survive me", responseMode = "api" }, _ct);
            Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
            chatId = (await posted.Content.ReadFromJsonAsync<JsonElement>(_ct)).GetProperty("chatId").GetString()!;
            using var patch = await first.Client.PatchAsJsonAsync($"/api/chats/{chatId}/autoMode", new { autoMode = false }, _ct);
            Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
            await Eventually.True(() => broken.Attempts >= 1, what: "a first failed attempt");
        }

        var working = new RecordingGateway();
        await using var second = await TestService.StartAsync(data.Path, gateways: [working]);
        // Nobody calls the chat: the start-up sweep must wake it and finish the delivery.
        await Eventually.True(() => working.SentTo(chatId).Count == 1, TimeSpan.FromSeconds(20), "delivered after restart");
        var chat = await second.Client.GetFromJsonAsync<JsonElement>($"/api/chats/{chatId}", _ct);
        Assert.False(chat.GetProperty("autoMode").GetBoolean());
        var messages = await Eventually.Get(() => second.Client.GetFromJsonAsync<JsonElement>($"/api/chats/{chatId}/messages", _ct),
            p => p.GetProperty("items")[0].GetProperty("status").GetString() == "sent");
        Assert.Equal(1, messages.GetProperty("totalItems").GetInt32());
    }

    [Fact]
    public async Task Cluster_mode_serves_the_api_from_an_orleans_client_of_separate_silos()
    {
        using var data = new TempDir();
        var serviceId = "cluster-" + Guid.NewGuid().ToString("N")[..8];
        var gateway = new RecordingGateway();
        var siloSettings = () => new Dictionary<string, string?>
        {
            ["REDIS_URL"] = redis.Url,
            ["ORLEANS_SERVICE_ID"] = serviceId,
            ["ORLEANS_CLUSTER_ID"] = serviceId,
            ["DATA_DIR"] = data.Path,
            ["SILO_PORT"] = FreePort.Next().ToString(),
            ["GATEWAY_PORT"] = FreePort.Next().ToString(),
            ["PENDING_SWEEP_INTERVAL"] = "500ms",
        };
        var silos = new List<IHost>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                var silo = SiloHostApp.Build([], siloSettings(), services => services.AddSingleton<IMessengerGateway>(gateway));
                await silo.StartAsync(_ct);
                silos.Add(silo);
            }

            await using var api = await TestService.StartAsync(data.Path, new Dictionary<string, string?>
            {
                ["REDIS_URL"] = redis.Url,
                ["ORLEANS_SERVICE_ID"] = serviceId,
                ["ORLEANS_CLUSTER_ID"] = serviceId,
            }, gateways: [gateway]);
            await using var sse = await SseClient.ConnectAsync(api.Client, "/api/stream", cancellationToken: _ct);

            using var posted = await api.Client.PostAsJsonAsync("/api/messages", new { source = "telegram", platformChatId = "777", text = "through the cluster" }, _ct);
            Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
            var chatId = (await posted.Content.ReadFromJsonAsync<JsonElement>(_ct)).GetProperty("chatId").GetString()!;

            await sse.UntilAsync(e => e.Event == "update" && e.Data.Contains("through the cluster", StringComparison.Ordinal), TimeSpan.FromSeconds(15));
            await Eventually.True(() => gateway.SentTo(chatId).Count == 1, what: "sent by a silo");
            var page = await Eventually.Get(() => api.Client.GetFromJsonAsync<JsonElement>($"/api/chats/{chatId}/messages", _ct),
                p => p.GetProperty("totalItems").GetInt32() == 1);
            Assert.Equal("through the cluster", page.GetProperty("items")[0].GetProperty("content").GetString());
        }
        finally
        {
            foreach (var silo in silos)
            {
                await silo.StopAsync(CancellationToken.None);
                silo.Dispose();
            }
        }
    }
}

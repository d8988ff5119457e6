using System.Net.Http.Json;
using System.Text.Json;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Fakes.OpenAI;
using MessengerAutoReply.Fakes.Telegram;
using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.Ai;

/// <summary>The embedded service as a real process, SIGKILLed while an AI run is in flight.</summary>
public sealed class AutoReplyCrashTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Killed_during_a_run_and_started_again_the_reply_is_sent_once()
    {
        using var data = new TempDir();
        await using var telegram = await FakeTelegramServer.StartAsync(Ct);
        await using var openAI = await FakeOpenAIServer.StartAsync(cancellationToken: Ct);
        openAI.AcceptAnyModel = true;
        openAI.ResponseLatency = TimeSpan.FromSeconds(2);
        var port = FreePort.Next();
        var environment = new Dictionary<string, string>
        {
            ["DATA_DIR"] = data.Path,
            ["SERVER_PORT"] = port.ToString(),
            ["SILO_PORT"] = FreePort.Next().ToString(),
            ["GATEWAY_PORT"] = FreePort.Next().ToString(),
            ["API_KEY"] = TestService.ApiKey,
            ["TELEGRAM_TOKEN"] = telegram.Token,
            ["TELEGRAM_API_URL"] = telegram.BaseUrl,
            ["TELEGRAM_POLL_TIMEOUT"] = "1s",
            ["OPENAI_API_KEY"] = "sk-fake-test",
            ["OPENAI_BASE_URL"] = openAI.ApiEndpoint.ToString(),
            ["OPENAI_MODEL"] = "gpt-test",
            ["OPENAI_RETRY_BASE"] = "200ms",
            ["REPLY_DEBOUNCE_MS"] = "0",
            ["PENDING_SWEEP_INTERVAL"] = "1s",
        };
        var update = telegram.EnqueueText("Do you deliver on Sundays?");

        await using (var first = ServiceProcess.Start(environment))
        {
            await openAI.WaitForAsync(o => o.ActiveRuns > 0, TimeSpan.FromSeconds(60), Ct);
            first.Kill();
        }
        Assert.DoesNotContain(telegram.SentMessages, m => m.ChatId == update.ChatId);

        await using var second = ServiceProcess.Start(environment);
        await telegram.WaitForSentMessageAsync(m => m.ChatId == update.ChatId, TimeSpan.FromSeconds(60), Ct);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        client.DefaultRequestHeaders.Add("X-API-Key", TestService.ApiKey);
        var chatId = ChatIds.ForChat(Sources.Telegram, update.ChatId!.Value.ToString());
        var chat = await Eventually.Get(() => client.GetFromJsonAsync<JsonElement>($"/api/chats/{chatId}", Ct),
            c => !c.GetProperty("aiRunning").GetBoolean(), TimeSpan.FromSeconds(30), "run finished");
        // A chat delivers in order, one message at a time: once a later message is out, a second copy of the
        // reply (if one were queued) would have gone out before it.
        using var marker = await client.PostAsJsonAsync("/api/messages", new { chatId, text = "marker", responseMode = "api" }, Ct);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, marker.StatusCode);
        await telegram.WaitForSentMessageAsync(m => m.ChatId == update.ChatId && m.Text == "marker", TimeSpan.FromSeconds(30), Ct);

        var sent = telegram.SentMessages.Where(m => m.ChatId == update.ChatId).ToList();
        Assert.Equal(2, sent.Count);
        Assert.Equal("marker", sent[1].Text);
        Assert.Contains("Sundays", sent[0].Text);
        Assert.StartsWith("conv_", chat.GetProperty("openAIThreadId").GetString());
    }
}

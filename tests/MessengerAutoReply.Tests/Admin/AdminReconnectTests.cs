using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using MessengerAutoReply.ApiHost.Stream;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace MessengerAutoReply.Tests.Admin;

/// <summary>The API host restarts under an open console: the page reconnects by itself and misses nothing.</summary>
public sealed class AdminReconnectTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    [Fact]
    public async Task After_the_host_restarts_the_page_reconnects_and_shows_what_arrived_meanwhile()
    {
        using var dir = new TempDir();
        var gateway = new RecordingGateway(Platforms.Telegram);
        // Same port and data folder: what an operator's browser sees when the service is restarted.
        var settings = new Dictionary<string, string?> { ["SERVER_PORT"] = FreePort.Next().ToString() };
        var chat = ChatSeeder.Telegram("Restart Survivor");

        var first = await TestService.StartAsync(dir.Path, settings, [gateway]);
        var firstEpoch = first.App.Services.GetRequiredService<ChatEventHub>().Epoch;
        await using var context = await chromium.NewContextAsync();
        var console = await ConsolePage.OpenAsync(context, first.BaseUri);
        await console.LoginAsync();
        var before = await new ChatSeeder(first).TextAsync(chat, "Before the restart");
        await console.OpenChatAsync(chat.ChatId);
        await Expect(console.Message(before.Id)).ToBeVisibleAsync();

        await first.DisposeAsync();
        await Expect(console.Connection).Not.ToHaveAttributeAsync("data-state", "connected");
        await Expect(console.Connection).ToHaveTextAsync("Reconnecting…");

        // The new host holds the page's stream until the test has put a message in: the page can only
        // learn of it through the resync, not as a live event.
        var gate = new StreamGate();
        var second = await TestService.StartAsync(dir.Path, settings, [gateway],
            builder => builder.Services.AddSingleton<IStartupFilter>(gate));
        try
        {
            Assert.Equal(first.BaseUri, second.BaseUri);
            var seeder = new ChatSeeder(second);
            var meanwhile = await seeder.TextAsync(chat, "Sent while the page was away");
            var newcomer = ChatSeeder.Telegram("Arrived During Restart");
            await seeder.TextAsync(newcomer, "Hi, first time here");
            // A resync reads the archive, which trails grain state by the outbox (decision 4): let it catch up, so
            // this test is about the page and not about that lag.
            foreach (var (id, count) in new[] { (chat.ChatId, 2), (newcomer.ChatId, 1) })
            {
                await Eventually.Get(
                    () => second.Client.GetFromJsonAsync<JsonElement>($"/api/chats/{id}/messages", TestContext.Current.CancellationToken),
                    page => page.GetProperty("totalItems").GetInt32() == count, what: "the archive has caught up");
            }
            await Eventually.True(() => !gate.Requests.IsEmpty, TimeSpan.FromSeconds(30), "the page tries the stream again");
            gate.Open();

            await Expect(console.Connection).ToHaveAttributeAsync("data-state", "connected", new() { Timeout = 20_000 });
            await Expect(console.Message(meanwhile.Id)).ToBeVisibleAsync();
            await Expect(console.Messages).ToHaveCountAsync(2);
            await Expect(console.ChatItem(chat.ChatId)).ToContainTextAsync("Sent while the page was away");
            await Expect(console.ChatItem(newcomer.ChatId)).ToContainTextAsync("Hi, first time here");
            await Expect(console.ChatTitle).ToHaveTextAsync("Restart Survivor");

            // The page asked to resume after the last event it had from the old host (which the new one cannot replay).
            Assert.Contains(gate.Requests, id => id?.StartsWith(firstEpoch + "-", StringComparison.Ordinal) == true);

            // And the stream is live again.
            var after = await seeder.TextAsync(chat, "After the restart");
            await Expect(console.Message(after.Id)).ToBeVisibleAsync();
            console.AssertNoPageErrors();
        }
        finally
        {
            await second.DisposeAsync();
        }
    }

    /// <summary>Holds <c>/api/stream</c> requests until opened, and records the event id each asked to resume from.</summary>
    private sealed class StreamGate : IStartupFilter
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ConcurrentQueue<string?> Requests { get; } = new();

        public void Open() => _open.TrySetResult();

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, nextMiddleware) =>
            {
                if (context.Request.Path.StartsWithSegments("/api/stream"))
                {
                    string? lastEventId = context.Request.Headers["Last-Event-ID"];
                    Requests.Enqueue(string.IsNullOrEmpty(lastEventId) ? context.Request.Query["lastEventId"] : lastEventId);
                    try
                    {
                        await _open.Task.WaitAsync(context.RequestAborted);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
                await nextMiddleware(context);
            });
            next(app);
        };
    }
}

using System.Net.Http.Json;
using System.Text.Json;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace MessengerAutoReply.Tests.Admin;

/// <summary>The operator console in Debian's Chromium against the real API host: what an operator does all day.</summary>
[Collection(BrowserCollection.Name)]
public sealed class AdminConsoleTests(ChromiumFixture chromium, ConsoleServiceFixture fixture)
    : IClassFixture<ChromiumFixture>, IClassFixture<ConsoleServiceFixture>, IAsyncLifetime
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;
    private IBrowserContext _context = null!;
    private ConsolePage _console = null!;

    private TestService Service => fixture.Service;
    private ChatSeeder Seeder => fixture.Seeder;

    public async ValueTask InitializeAsync()
    {
        _context = await chromium.NewContextAsync();
        _console = await ConsolePage.OpenAsync(_context, Service.BaseUri);
    }

    public async ValueTask DisposeAsync()
    {
        await _context.CloseAsync();
        _console.AssertNoPageErrors();
    }

    [Fact]
    public async Task Signing_in_with_the_key_shows_the_chats_and_a_live_connection()
    {
        var chat = ChatSeeder.Telegram("Olga Sidorova");
        await Seeder.TextAsync(chat, "Do you deliver on Sundays?");

        await Expect(_console.LoginKey).ToBeFocusedAsync();
        await _console.LoginAsync();

        await Expect(_console.ChatItem(chat.ChatId)).ToContainTextAsync("Olga Sidorova");
        await Expect(_console.ChatItem(chat.ChatId)).ToContainTextAsync("Do you deliver on Sundays?");
        await Expect(_console.ChatItem(chat.ChatId)).ToContainTextAsync("Telegram");
        await Expect(_console.Connection).ToHaveTextAsync("Connected");
        // Kept for this tab only: a reload stays signed in.
        Assert.Equal(TestService.ApiKey, await _console.Page.EvaluateAsync<string>("() => sessionStorage.getItem('messengerAutoReply.apiKey')"));
        await _console.Page.ReloadAsync();
        await Expect(_console.Connection).ToHaveAttributeAsync("data-state", "connected");
        await Expect(_console.ChatItem(chat.ChatId)).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_wrong_key_is_refused_with_a_clear_message()
    {
        await _console.LoginKey.FillAsync("not-the-key");
        await _console.LoginSubmit.ClickAsync();

        await Expect(_console.LoginError).ToBeVisibleAsync();
        await Expect(_console.LoginError).ToContainTextAsync("API key was not accepted");
        await Expect(_console.LoginKey).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(_console.ChatList).Not.ToBeVisibleAsync();
        Assert.Null(await _console.Page.EvaluateAsync<string?>("() => sessionStorage.getItem('messengerAutoReply.apiKey')"));
        await _console.ScreenshotAsync("admin-login-refused.png");

        // An empty key is caught before any request.
        await _console.LoginKey.FillAsync("");
        await _console.LoginSubmit.ClickAsync();
        await Expect(_console.LoginError).ToContainTextAsync("Enter the API key");

        // And the right key still works from the same page.
        await _console.LoginAsync();
        await Expect(_console.LoginError).Not.ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_chat_appears_live_when_a_message_arrives()
    {
        await _console.LoginAsync();
        var first = ChatSeeder.Telegram("Live Newcomer");
        var second = ChatSeeder.Instagram("Insta Visitor");

        await Seeder.TextAsync(first, "Hello, is anyone there?");
        await Expect(_console.ChatItem(first.ChatId)).ToContainTextAsync("Hello, is anyone there?");
        await Seeder.TextAsync(second, "Price for the blue one?");
        await Expect(_console.ChatItem(second.ChatId)).ToContainTextAsync("Instagram");

        // Newest first: a new message moves its chat back to the top, in place, without a reload.
        var firstRow = await _console.ChatItem(first.ChatId).ElementHandleAsync();
        await Seeder.TextAsync(first, "Still waiting…");
        await Expect(_console.Page.GetByTestId("chat-item").First).ToHaveAttributeAsync("data-chat-id", first.ChatId);
        await Expect(_console.ChatItem(first.ChatId)).ToContainTextAsync("Still waiting…");
        Assert.True(await firstRow.EvaluateAsync<bool>("el => el.isConnected"), "the row was re-created instead of updated");
    }

    [Fact]
    public async Task A_chat_shows_its_history_with_a_playable_voice_note_and_an_image()
    {
        var chat = ChatSeeder.Telegram("Marina Koval");
        var text = await Seeder.TextAsync(chat, "Hi! I have a question about my order.", DateTimeOffset.UtcNow.AddMinutes(-3));
        var voice = await Seeder.VoiceAsync(chat, "Can you tell me when the parcel will arrive?", DateTimeOffset.UtcNow.AddMinutes(-2));
        var image = await Seeder.ImageAsync(chat, "A photo of a sunset over green hills.", DateTimeOffset.UtcNow.AddMinutes(-1));
        await _console.LoginAsync();

        await _console.OpenChatAsync(chat.ChatId);

        await Expect(_console.ChatTitle).ToHaveTextAsync("Marina Koval");
        await Expect(_console.Messages).ToHaveCountAsync(3);
        await Expect(_console.Messages.Nth(0)).ToHaveAttributeAsync("data-message-id", text.Id);
        await Expect(_console.Messages.Nth(2)).ToHaveAttributeAsync("data-message-id", image.Id);
        await Expect(_console.Message(text.Id)).ToContainTextAsync("question about my order");

        var voiceRow = _console.Message(voice.Id);
        await Expect(voiceRow).ToContainTextAsync("Transcript");
        await Expect(voiceRow).ToContainTextAsync("Can you tell me when the parcel will arrive?");
        var audio = voiceRow.Locator("audio");
        await Expect(audio).ToHaveAttributeAsync("src", new System.Text.RegularExpressions.Regex("^blob:"));
        // The bytes came through GET /api/media with the key header and the browser understood them.
        await _console.Page.WaitForFunctionAsync("a => a.readyState >= 1", await audio.ElementHandleAsync());
        var duration = await audio.EvaluateAsync<double>("a => a.duration");
        Assert.InRange(duration, 1.5, 2.5);

        var imageRow = _console.Message(image.Id);
        await Expect(imageRow).ToContainTextAsync("Description");
        await Expect(imageRow).ToContainTextAsync("A photo of a sunset over green hills.");
        var img = imageRow.Locator("img");
        await Expect(img).ToHaveAttributeAsync("alt", "A photo of a sunset over green hills.");
        await Expect(img).ToHaveJSPropertyAsync("complete", true);
        Assert.Equal(320, await img.EvaluateAsync<int>("i => i.naturalWidth"));

        // New messages in the open chat arrive live and the view follows them.
        var live = await Seeder.TextAsync(chat, "Hello? Anyone?");
        await Expect(_console.Message(live.Id)).ToBeInViewportAsync();
    }

    [Fact]
    public async Task The_view_stays_where_the_operator_scrolled_and_offers_a_jump_to_new_messages()
    {
        var chat = ChatSeeder.Telegram("Long Talker");
        var start = DateTimeOffset.UtcNow.AddMinutes(-40);
        for (var i = 0; i < 30; i++)
        {
            await Seeder.TextAsync(chat, $"Line {i + 1} of a long story", start.AddMinutes(i));
        }
        await _console.LoginAsync();
        await _console.OpenChatAsync(chat.ChatId);
        await Expect(_console.Messages).ToHaveCountAsync(30);
        await Expect(_console.Messages.Last).ToBeInViewportAsync();

        await _console.Page.Locator("#messages").EvaluateAsync("m => m.scrollTo({ top: 0, behavior: 'instant' })");
        var fresh = await Seeder.TextAsync(chat, "A new line while you read");

        var jump = _console.Page.GetByRole(AriaRole.Button, new() { Name = "1 new message ↓" });
        await Expect(jump).ToBeVisibleAsync();
        await Expect(_console.Message(fresh.Id)).Not.ToBeInViewportAsync();
        await Expect(_console.Messages.First).ToBeInViewportAsync();
        await jump.ClickAsync();
        await Expect(_console.Message(fresh.Id)).ToBeInViewportAsync();
        await Expect(jump).Not.ToBeVisibleAsync();
    }

    [Fact]
    public async Task The_list_searches_by_name_filters_by_source_and_pages_through_many_chats()
    {
        // 120 chats under one unique name: more than two pages of 50. Different chats are different grains.
        var tag = $"Pager{Random.Shared.Next(1000, 9999)}";
        await Task.WhenAll(Enumerable.Range(1, 120).Select(i =>
        {
            var address = i % 4 == 0 ? ChatSeeder.Instagram($"{tag} {i:000}") : ChatSeeder.Telegram($"{tag} {i:000}");
            return Seeder.TextAsync(address, $"Message number {i}", DateTimeOffset.UtcNow.AddMinutes(-200 + i));
        }));
        await Eventually.Get(
            () => Service.Client.GetFromJsonAsync<JsonElement>($"/api/chats?q={tag}&perPage=1", _ct),
            page => page.GetProperty("totalItems").GetInt32() == 120, what: "all chats archived");
        await _console.LoginAsync();

        await _console.Page.GetByTestId("search").FillAsync(tag);
        await Expect(_console.Page.Locator("#list-summary")).ToHaveTextAsync("120 chats found");
        var items = _console.Page.GetByTestId("chat-item");
        await Expect(items).ToHaveCountAsync(50);

        // Scrolling to the end of the list loads the next pages, without duplicates.
        for (var expected = 100; expected <= 120; expected += 20)
        {
            await items.Last.ScrollIntoViewIfNeededAsync();
            await Expect(items).ToHaveCountAsync(Math.Min(expected, 120));
        }
        var ids = await items.EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.chatId)");
        Assert.Equal(120, ids.Distinct().Count());
        await Expect(_console.Page.GetByTestId("load-more")).Not.ToBeVisibleAsync();

        await _console.Page.GetByTestId("source-filter").SelectOptionAsync("instagram");
        await Expect(_console.Page.Locator("#list-summary")).ToHaveTextAsync("30 chats found");
        await Expect(items).ToHaveCountAsync(30);
        await Expect(items.Filter(new() { HasText = "Telegram" })).ToHaveCountAsync(0);

        await _console.Page.GetByTestId("search").FillAsync($"{tag} 012");
        await Expect(items).ToHaveCountAsync(1);
        await Expect(items.First).ToContainTextAsync("Message number 12");
    }

    [Fact]
    public async Task The_autoMode_switch_is_persisted_across_a_reload()
    {
        var chat = ChatSeeder.Telegram("Switch Tester");
        await Seeder.TextAsync(chat, "Please do not answer automatically.");
        await _console.LoginAsync();
        await _console.OpenChatAsync(chat.ChatId);
        await Expect(_console.AutoMode).ToBeCheckedAsync();
        await Expect(_console.ChatItem(chat.ChatId)).ToContainTextAsync("Auto");

        await _console.AutoMode.ClickAsync();

        await Expect(_console.AutoMode).Not.ToBeCheckedAsync();
        await Expect(_console.AutoMode).ToBeEnabledAsync();
        await Expect(_console.ChatItem(chat.ChatId)).ToContainTextAsync("Manual");
        var stored = await Service.Client.GetFromJsonAsync<JsonElement>($"/api/chats/{chat.ChatId}", _ct);
        Assert.False(stored.GetProperty("autoMode").GetBoolean());

        // The open chat is in the address, so a reload comes back to it.
        await _console.Page.ReloadAsync();
        await Expect(_console.ChatTitle).ToHaveTextAsync("Switch Tester");
        await Expect(_console.AutoMode).Not.ToBeCheckedAsync();
        await Expect(_console.ChatItem(chat.ChatId)).ToContainTextAsync("Manual");

        // And on again, by keyboard this time.
        await _console.AutoMode.FocusAsync();
        await _console.Page.Keyboard.PressAsync("Space");
        await Expect(_console.AutoMode).ToBeCheckedAsync();
        await Eventually.Get(
            () => Service.Client.GetFromJsonAsync<JsonElement>($"/api/chats/{chat.ChatId}", _ct),
            c => c.GetProperty("autoMode").GetBoolean(), what: "autoMode back on");
    }

    [Fact]
    public async Task A_reply_sent_with_Enter_goes_from_pending_to_sent_and_reaches_the_archive()
    {
        var chat = ChatSeeder.Telegram("Reply Receiver");
        await Seeder.TextAsync(chat, "Can I pay by card?");
        await _console.LoginAsync();
        await _console.OpenChatAsync(chat.ChatId);
        // Slow enough for the page to show the reply as pending before the platform confirms it.
        fixture.Telegram.Latency = TimeSpan.FromSeconds(1.5);
        try
        {
            await _console.ReplyInput.FillAsync("Yes, we take cards.");
            await _console.ReplyInput.PressAsync("Shift+Enter");
            await _console.ReplyInput.PressSequentiallyAsync("And cash on delivery.");
            await _console.ReplyInput.PressAsync("Enter");

            const string text = "Yes, we take cards.\nAnd cash on delivery.";
            var outgoing = _console.Page.Locator("[data-testid=message].msg--out");
            await Expect(outgoing).ToHaveCountAsync(1);
            await Expect(outgoing).ToHaveAttributeAsync("data-status", "pending");
            await Expect(outgoing).ToContainTextAsync("Sending");
            await Expect(_console.ReplyInput).ToHaveValueAsync("");
            await Expect(outgoing).ToHaveAttributeAsync("data-status", "sent", new() { Timeout = 15_000 });
            await Expect(outgoing).ToContainTextAsync("Operator");
            Assert.Equal(text, await outgoing.Locator(".text").InnerTextAsync());

            // In the list: the preview is the reply, and an operator's reply takes the chat over.
            await Expect(_console.ChatItem(chat.ChatId)).ToContainTextAsync("Yes, we take cards.");
            await Expect(_console.ChatItem(chat.ChatId)).ToContainTextAsync("Manual");

            // On the platform and in the archive.
            Assert.Equal(text, Assert.Single(fixture.Telegram.SentTo(chat.ChatId)).Content);
            var archived = await Eventually.Get(
                () => Service.Client.GetFromJsonAsync<JsonElement>($"/api/chats/{chat.ChatId}/messages?sort=-timestamp", _ct),
                page => page.GetProperty("items")[0].GetProperty("status").GetString() == MessageStatus.Sent,
                what: "the reply archived as sent");
            var reply = archived.GetProperty("items")[0];
            Assert.Equal(text, reply.GetProperty("content").GetString());
            Assert.Equal(ResponseModes.Operator, reply.GetProperty("responseMode").GetString());
            Assert.Equal(await outgoing.GetAttributeAsync("data-message-id"), reply.GetProperty("id").GetString());
        }
        finally
        {
            fixture.Telegram.Latency = TimeSpan.Zero;
        }
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection
{
    /// <summary>Browser classes run one after another: two cores do not need three Chromiums at once.</summary>
    public const string Name = "Browser";
}

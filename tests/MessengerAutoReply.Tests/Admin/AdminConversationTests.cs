using System.Net.Http.Json;
using System.Text.Json;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace MessengerAutoReply.Tests.Admin;

/// <summary>One conversation in the console: history with media, following new messages, the autoMode switch and replies.</summary>
public sealed class AdminConversationTests(ChromiumFixture chromium, ConsoleServiceFixture fixture)
    : ConsoleTest(chromium, fixture), IClassFixture<ChromiumFixture>, IClassFixture<ConsoleServiceFixture>
{
    [Fact]
    public async Task A_chat_shows_its_history_with_a_playable_voice_note_and_an_image()
    {
        var chat = ChatSeeder.Telegram("Marina Koval");
        var text = await Seeder.TextAsync(chat, "Hi! I have a question about my order.", DateTimeOffset.UtcNow.AddMinutes(-3));
        var voice = await Seeder.VoiceAsync(chat, "Can you tell me when the parcel will arrive?", DateTimeOffset.UtcNow.AddMinutes(-2));
        var image = await Seeder.ImageAsync(chat, "A photo of a sunset over green hills.", DateTimeOffset.UtcNow.AddMinutes(-1));
        await Admin.LoginAsync();

        await Admin.OpenChatAsync(chat.ChatId);

        await Expect(Admin.ChatTitle).ToHaveTextAsync("Marina Koval");
        await Expect(Admin.Messages).ToHaveCountAsync(3);
        await Expect(Admin.Messages.Nth(0)).ToHaveAttributeAsync("data-message-id", text.Id);
        await Expect(Admin.Messages.Nth(2)).ToHaveAttributeAsync("data-message-id", image.Id);
        await Expect(Admin.Message(text.Id)).ToContainTextAsync("question about my order");

        var voiceRow = Admin.Message(voice.Id);
        await Expect(voiceRow).ToContainTextAsync("Transcript");
        await Expect(voiceRow).ToContainTextAsync("Can you tell me when the parcel will arrive?");
        var audio = voiceRow.Locator("audio");
        await Expect(audio).ToHaveAttributeAsync("src", new System.Text.RegularExpressions.Regex("^blob:"));
        // The bytes came through GET /api/media with the key header and the browser understood them.
        await Admin.Page.WaitForFunctionAsync("a => a.readyState >= 1", await audio.ElementHandleAsync());
        var duration = await audio.EvaluateAsync<double>("a => a.duration");
        Assert.InRange(duration, 1.5, 2.5);

        var imageRow = Admin.Message(image.Id);
        await Expect(imageRow).ToContainTextAsync("Description");
        await Expect(imageRow).ToContainTextAsync("A photo of a sunset over green hills.");
        var img = imageRow.Locator("img");
        await Expect(img).ToHaveAttributeAsync("alt", "A photo of a sunset over green hills.");
        await Expect(img).ToHaveJSPropertyAsync("complete", true);
        Assert.Equal(320, await img.EvaluateAsync<int>("i => i.naturalWidth"));

        // New messages in the open chat arrive live and the view follows them.
        var live = await Seeder.TextAsync(chat, "Hello? Anyone?");
        await Expect(Admin.Message(live.Id)).ToBeInViewportAsync();
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
        await Admin.LoginAsync();
        await Admin.OpenChatAsync(chat.ChatId);
        await Expect(Admin.Messages).ToHaveCountAsync(30);
        await Expect(Admin.Messages.Last).ToBeInViewportAsync();

        await Admin.Page.Locator("#messages").EvaluateAsync("m => m.scrollTo({ top: 0, behavior: 'instant' })");
        var fresh = await Seeder.TextAsync(chat, "A new line while you read");

        var jump = Admin.Page.GetByRole(AriaRole.Button, new() { Name = "1 new message ↓" });
        await Expect(jump).ToBeVisibleAsync();
        await Expect(Admin.Message(fresh.Id)).Not.ToBeInViewportAsync();
        await Expect(Admin.Messages.First).ToBeInViewportAsync();
        await jump.ClickAsync();
        await Expect(Admin.Message(fresh.Id)).ToBeInViewportAsync();
        await Expect(jump).Not.ToBeVisibleAsync();
    }

    [Fact]
    public async Task The_autoMode_switch_is_persisted_across_a_reload()
    {
        var chat = ChatSeeder.Telegram("Switch Tester");
        await Seeder.TextAsync(chat, "Please do not answer automatically.");
        await Admin.LoginAsync();
        await Admin.OpenChatAsync(chat.ChatId);
        await Expect(Admin.AutoMode).ToBeCheckedAsync();
        await Expect(Admin.ChatItem(chat.ChatId)).ToContainTextAsync("Auto");

        await Admin.AutoMode.ClickAsync();

        await Expect(Admin.AutoMode).Not.ToBeCheckedAsync();
        await Expect(Admin.AutoMode).ToBeEnabledAsync();
        await Expect(Admin.ChatItem(chat.ChatId)).ToContainTextAsync("Manual");
        var stored = await Service.Client.GetFromJsonAsync<JsonElement>($"/api/chats/{chat.ChatId}", Ct);
        Assert.False(stored.GetProperty("autoMode").GetBoolean());

        // The open chat is in the address, so a reload comes back to it.
        await Admin.Page.ReloadAsync();
        await Expect(Admin.ChatTitle).ToHaveTextAsync("Switch Tester");
        await Expect(Admin.AutoMode).Not.ToBeCheckedAsync();
        await Expect(Admin.ChatItem(chat.ChatId)).ToContainTextAsync("Manual");

        // And on again, by keyboard this time.
        await Admin.AutoMode.FocusAsync();
        await Admin.Page.Keyboard.PressAsync("Space");
        await Expect(Admin.AutoMode).ToBeCheckedAsync();
        await Eventually.Get(
            () => Service.Client.GetFromJsonAsync<JsonElement>($"/api/chats/{chat.ChatId}", Ct),
            c => c.GetProperty("autoMode").GetBoolean(), what: "autoMode back on");
    }

    [Fact]
    public async Task A_reply_sent_with_Enter_goes_from_pending_to_sent_and_reaches_the_archive()
    {
        var chat = ChatSeeder.Telegram("Reply Receiver");
        await Seeder.TextAsync(chat, "Can I pay by card?");
        await Admin.LoginAsync();
        await Admin.OpenChatAsync(chat.ChatId);
        // Slow enough for the page to show the reply as pending before the platform confirms it.
        Fixture.Telegram.Latency = TimeSpan.FromSeconds(1.5);
        try
        {
            await Admin.ReplyInput.FillAsync("Yes, we take cards.");
            await Admin.ReplyInput.PressAsync("Shift+Enter");
            await Admin.ReplyInput.PressSequentiallyAsync("And cash on delivery.");
            await Admin.ReplyInput.PressAsync("Enter");

            const string text = "Yes, we take cards.\nAnd cash on delivery.";
            var outgoing = Admin.Page.Locator("[data-testid=message].msg--out");
            await Expect(outgoing).ToHaveCountAsync(1);
            await Expect(outgoing).ToHaveAttributeAsync("data-status", "pending");
            await Expect(outgoing).ToContainTextAsync("Sending");
            await Expect(Admin.ReplyInput).ToHaveValueAsync("");
            await Expect(outgoing).ToHaveAttributeAsync("data-status", "sent", new() { Timeout = 15_000 });
            await Expect(outgoing).ToContainTextAsync("Operator");
            Assert.Equal(text, await outgoing.Locator(".text").InnerTextAsync());

            // In the list: the preview is the reply, and an operator's reply takes the chat over.
            await Expect(Admin.ChatItem(chat.ChatId)).ToContainTextAsync("Yes, we take cards.");
            await Expect(Admin.ChatItem(chat.ChatId)).ToContainTextAsync("Manual");

            // On the platform and in the archive.
            Assert.Equal(text, Assert.Single(Fixture.Telegram.SentTo(chat.ChatId)).Content);
            var archived = await Eventually.Get(
                () => Service.Client.GetFromJsonAsync<JsonElement>($"/api/chats/{chat.ChatId}/messages?sort=-timestamp", Ct),
                page => page.GetProperty("items")[0].GetProperty("status").GetString() == MessageStatus.Sent,
                what: "the reply archived as sent");
            var reply = archived.GetProperty("items")[0];
            Assert.Equal(text, reply.GetProperty("content").GetString());
            Assert.Equal(ResponseModes.Operator, reply.GetProperty("responseMode").GetString());
            Assert.Equal(await outgoing.GetAttributeAsync("data-message-id"), reply.GetProperty("id").GetString());
        }
        finally
        {
            Fixture.Telegram.Latency = TimeSpan.Zero;
        }
    }
}

using MessengerAutoReply.Chats;
using MessengerAutoReply.Delivery;
using MessengerAutoReply.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace MessengerAutoReply.Tests.Admin;

/// <summary>
/// The console at desktop and phone width with a realistic day of chats: checks the layout of each, and saves
/// screenshots under the test output folder (screenshots/), the ones the README shows.
/// </summary>
public sealed class AdminScreenshotTests(ChromiumFixture chromium, AdminScreenshotTests.DemoService demo)
    : IClassFixture<ChromiumFixture>, IClassFixture<AdminScreenshotTests.DemoService>
{
    [Fact]
    public async Task Desktop_shows_the_list_beside_the_conversation()
    {
        await using var context = await chromium.NewContextAsync(1280, 800);
        var console = await ConsolePage.OpenAsync(context, demo.Service.BaseUri);
        await console.LoginAsync();
        await Expect(console.Page.GetByTestId("chat-item")).ToHaveCountAsync(demo.ChatCount);
        await Expect(console.Page.GetByTestId("chat-item").First).ToHaveAttributeAsync("data-chat-id", demo.Main.ChatId);
        await Expect(console.ChatItem(demo.Failed.ChatId)).ToContainTextAsync("Failed");
        await console.ScreenshotAsync("admin-desktop-list.png");

        await console.OpenChatAsync(demo.Main.ChatId);
        await WaitForMediaAsync(console);
        // Side by side: the list stays in view next to the conversation.
        await Expect(console.ChatList).ToBeVisibleAsync();
        await Expect(console.ReplyInput).ToBeVisibleAsync();
        await console.ScreenshotAsync("admin-desktop-chat.png");
        await console.Page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
        await console.ScreenshotAsync("admin-desktop-chat-dark.png");
        console.AssertNoPageErrors();
    }

    [Fact]
    public async Task Phone_shows_the_list_and_the_conversation_as_separate_screens()
    {
        await using var context = await chromium.NewContextAsync(390, 844, phone: true);
        var console = await ConsolePage.OpenAsync(context, demo.Service.BaseUri);
        await console.LoginAsync();
        await Expect(console.Page.GetByTestId("chat-item")).ToHaveCountAsync(demo.ChatCount);
        await AssertNoHorizontalScrollAsync(console.Page);
        await console.ScreenshotAsync("admin-phone-list.png");

        await console.ChatItem(demo.Main.ChatId).TapAsync();
        await WaitForMediaAsync(console);
        await Expect(console.ChatList).Not.ToBeVisibleAsync();
        await Expect(console.ChatTitle).ToBeFocusedAsync();
        await AssertNoHorizontalScrollAsync(console.Page);
        await console.ScreenshotAsync("admin-phone-chat.png");

        // Back (the button or the browser's) returns to the list.
        await console.Page.GetByRole(AriaRole.Button, new() { Name = "Back to chats" }).TapAsync();
        await Expect(console.ChatList).ToBeVisibleAsync();
        await Expect(console.ChatTitle).Not.ToBeVisibleAsync();
        Assert.DoesNotContain("#chat=", console.Page.Url, StringComparison.Ordinal);
        console.AssertNoPageErrors();
    }

    private async Task WaitForMediaAsync(ConsolePage console)
    {
        await Expect(console.ChatTitle).ToHaveTextAsync("Marina Koval");
        await Expect(console.Messages).ToHaveCountAsync(5);
        var img = console.Message(demo.Image.Id).Locator("img");
        await Expect(img).ToHaveJSPropertyAsync("complete", true);
        var audio = console.Message(demo.Voice.Id).Locator("audio");
        await console.Page.WaitForFunctionAsync("a => a.readyState >= 1", await audio.ElementHandleAsync());
        await Expect(console.Message(demo.OperatorReply.Id)).ToHaveAttributeAsync("data-status", "sent");
        await Expect(console.Message(demo.OperatorReply.Id)).ToBeInViewportAsync();
    }

    private static async Task AssertNoHorizontalScrollAsync(IPage page) =>
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= innerWidth"), "the page scrolls sideways");

    /// <summary>A small art-print shop's morning: Telegram and Instagram chats, auto and manual, one failed delivery.</summary>
    public sealed class DemoService : IAsyncLifetime
    {
        private readonly ConsoleServiceFixture _inner = new();

        public TestService Service => _inner.Service;
        public int ChatCount { get; private set; }
        public ChatAddress Main { get; } = ChatSeeder.Telegram("Marina Koval");
        public ChatAddress Failed { get; } = ChatSeeder.Telegram("Emma Johansson");
        public ChatMessage Image { get; private set; } = null!;
        public ChatMessage Voice { get; private set; } = null!;
        public ChatMessage OperatorReply { get; private set; } = null!;

        public async ValueTask InitializeAsync()
        {
            await _inner.InitializeAsync();
            var seed = _inner.Seeder;
            var now = DateTimeOffset.UtcNow;

            var sofia = ChatSeeder.Instagram("Sofia Martins");
            await seed.TextAsync(sofia, "Do you ship to Portugal? And how long does it take?", now.AddDays(-2).AddHours(-3));
            await SetAutoModeAsync(sofia, false);
            await seed.TextAsync(ChatSeeder.Telegram("Tomás Rivera"), "Thanks, got it. Looks great on the wall!", now.AddDays(-1).AddHours(-2));
            await seed.TextAsync(ChatSeeder.Instagram("Li Wei"), "Is the large 'Northern Lights' print back in stock?", now.AddHours(-3));
            var group = ChatSeeder.Telegram("Wholesale partners") with { IsGroup = true };
            await seed.TextAsync(group, "Could you send this week's price list?", now.AddMinutes(-50));

            await seed.TextAsync(Failed, "My order #4512 hasn't arrived yet.", now.AddMinutes(-12));
            _inner.Telegram.Script(DeliveryResult.Rejected("Forbidden: bot was blocked by the user", chatUnreachable: true));
            await seed.ReplyAsync(Failed, "Sorry about that, Emma! Let me check with the courier.", ResponseModes.Operator);
            await Eventually.Get(
                async () => await Service.Grains.GetGrain<IChatGrain>(Failed.ChatId).GetAsync(),
                c => c?.Error is not null, what: "the failed delivery recorded");

            await seed.TextAsync(ChatSeeder.Telegram("Olga Sidorova"), "Can I still change the delivery address?", now.AddMinutes(-4));

            Image = await seed.ImageAsync(Main, "A landscape print: an orange sun setting behind a dark green hill under a deep blue sky.");
            await seed.TextAsync(Main, "Hi! Do you still have this one in A3?");
            await seed.ReplyAsync(Main, "Hello Marina! Yes, \"Evening Hill\" is in stock in A3 and A2. A3 is €24, or €39 framed in oak.");
            Voice = await seed.VoiceAsync(Main, "Great, I'll take the framed one. Could it arrive before Friday? It's a birthday present.");
            OperatorReply = await seed.ReplyAsync(Main, "It can: we'll ship it today by express, so it arrives on Thursday. I'll add gift wrapping for free.", ResponseModes.Operator);
            await Eventually.Get(
                async () => (await Service.Grains.GetGrain<IChatGrain>(Main.ChatId).GetAsync())?.AutoMode,
                autoMode => autoMode == false, what: "the operator took the chat over");
            ChatCount = 7;
        }

        private Task<Chat?> SetAutoModeAsync(ChatAddress chat, bool on) => Service.Grains.GetGrain<IChatGrain>(chat.ChatId).SetAutoModeAsync(on);

        public async ValueTask DisposeAsync() => await _inner.DisposeAsync();
    }
}

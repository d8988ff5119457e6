using System.Net.Http.Json;
using System.Text.Json;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace MessengerAutoReply.Tests.Admin;

/// <summary>The operator console in Debian's Chromium against the real API host: signing in and the live chat list.</summary>
public sealed class AdminConsoleTests(ChromiumFixture chromium, ConsoleServiceFixture fixture)
    : ConsoleTest(chromium, fixture), IClassFixture<ChromiumFixture>, IClassFixture<ConsoleServiceFixture>
{
    [Fact]
    public async Task Signing_in_with_the_key_shows_the_chats_and_a_live_connection()
    {
        var chat = ChatSeeder.Telegram("Olga Sidorova");
        await Seeder.TextAsync(chat, "Do you deliver on Sundays?");

        // Email and password come first in the form (issue #17); the key is the form's second way in.
        await Expect(Admin.Page.GetByTestId("login-email")).ToBeFocusedAsync();
        await Admin.LoginAsync();

        await Expect(Admin.ChatItem(chat.ChatId)).ToContainTextAsync("Olga Sidorova");
        await Expect(Admin.ChatItem(chat.ChatId)).ToContainTextAsync("Do you deliver on Sundays?");
        await Expect(Admin.ChatItem(chat.ChatId)).ToContainTextAsync("Telegram");
        await Expect(Admin.Connection).ToHaveTextAsync("Connected");
        // Kept for this tab only: a reload stays signed in.
        Assert.Equal(TestService.ApiKey, await Admin.Page.EvaluateAsync<string>("() => sessionStorage.getItem('messengerAutoReply.apiKey')"));
        await Admin.Page.ReloadAsync();
        await Expect(Admin.Connection).ToHaveAttributeAsync("data-state", "connected");
        await Expect(Admin.ChatItem(chat.ChatId)).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_wrong_key_is_refused_with_a_clear_message()
    {
        await Admin.LoginKey.FillAsync("not-the-key");
        await Admin.LoginSubmit.ClickAsync();

        await Expect(Admin.LoginError).ToBeVisibleAsync();
        await Expect(Admin.LoginError).ToContainTextAsync("API key was not accepted");
        await Expect(Admin.LoginKey).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(Admin.ChatList).Not.ToBeVisibleAsync();
        Assert.Null(await Admin.Page.EvaluateAsync<string?>("() => sessionStorage.getItem('messengerAutoReply.apiKey')"));
        await Admin.ScreenshotAsync("admin-login-refused.png");

        // An empty key is caught before any request.
        await Admin.LoginKey.FillAsync("");
        await Admin.LoginSubmit.ClickAsync();
        await Expect(Admin.LoginError).ToContainTextAsync("Enter the API key");

        // And the right key still works from the same page.
        await Admin.LoginAsync();
        await Expect(Admin.LoginError).Not.ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_service_that_is_not_ready_yet_is_retried_until_it_is()
    {
        var refused = 0;
        await Admin.Page.RouteAsync("**/api/chats?perPage=1", async route =>
        {
            Interlocked.Increment(ref refused);
            await route.FulfillAsync(new()
            {
                Status = 503,
                ContentType = "application/problem+json",
                Body = """{"title":"Service Unavailable","status":503,"detail":"The archive cannot be read right now."}""",
            });
        });
        await Admin.Page.EvaluateAsync($"() => sessionStorage.setItem('messengerAutoReply.apiKey', '{TestService.ApiKey}')");
        await Admin.Page.ReloadAsync();

        await Expect(Admin.LoginError).ToContainTextAsync("not ready");
        await Admin.Page.UnrouteAllAsync();

        // No click: the stored key is tried again by itself.
        await Expect(Admin.Connection).ToHaveAttributeAsync("data-state", "connected");
        await Expect(Admin.LoginError).Not.ToBeVisibleAsync();
        Assert.True(refused >= 1);
    }

    [Fact]
    public async Task A_chat_appears_live_when_a_message_arrives()
    {
        await Admin.LoginAsync();
        var first = ChatSeeder.Telegram("Live Newcomer");
        var second = ChatSeeder.Instagram("Insta Visitor");

        await Seeder.TextAsync(first, "Hello, is anyone there?");
        await Expect(Admin.ChatItem(first.ChatId)).ToContainTextAsync("Hello, is anyone there?");
        await Seeder.TextAsync(second, "Price for the blue one?");
        await Expect(Admin.ChatItem(second.ChatId)).ToContainTextAsync("Instagram");

        // Newest first: a new message moves its chat back to the top, in place, without a reload.
        var firstRow = await Admin.ChatItem(first.ChatId).ElementHandleAsync();
        await Seeder.TextAsync(first, "Still waiting…");
        await Expect(Admin.Page.GetByTestId("chat-item").First).ToHaveAttributeAsync("data-chat-id", first.ChatId);
        await Expect(Admin.ChatItem(first.ChatId)).ToContainTextAsync("Still waiting…");
        Assert.True(await firstRow.EvaluateAsync<bool>("el => el.isConnected"), "the row was re-created instead of updated");
    }

    [Fact]
    public async Task The_list_searches_by_name_filters_by_source_and_pages_through_many_chats()
    {
        // 60 chats under one unique name: more than a page of 50. Different chats are different grains.
        var tag = $"Pager{Random.Shared.Next(1000, 9999)}";
        await Task.WhenAll(Enumerable.Range(1, 60).Select(i =>
        {
            var address = i % 4 == 0 ? ChatSeeder.Instagram($"{tag} {i:000}") : ChatSeeder.Telegram($"{tag} {i:000}");
            return Seeder.TextAsync(address, $"Message number {i}", DateTimeOffset.UtcNow.AddMinutes(-100 + i));
        }));
        await Eventually.Get(
            () => Service.Client.GetFromJsonAsync<JsonElement>($"/api/chats?q={tag}&perPage=1", Ct),
            page => page.GetProperty("totalItems").GetInt32() == 60, what: "all chats archived");
        await Admin.LoginAsync();

        await Admin.Page.GetByTestId("search").FillAsync(tag);
        await Expect(Admin.Page.Locator("#list-summary")).ToHaveTextAsync("60 chats found");
        var items = Admin.Page.GetByTestId("chat-item");
        await Expect(items).ToHaveCountAsync(50);

        // Scrolling to the end of the list loads the next page, without duplicates.
        await items.Last.ScrollIntoViewIfNeededAsync();
        await Expect(items).ToHaveCountAsync(60);
        var ids = await items.EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.chatId)");
        Assert.Equal(60, ids.Distinct().Count());
        await Expect(Admin.Page.GetByTestId("load-more")).Not.ToBeVisibleAsync();

        await Admin.Page.GetByTestId("source-filter").SelectOptionAsync("instagram");
        await Expect(Admin.Page.Locator("#list-summary")).ToHaveTextAsync("15 chats found");
        await Expect(items).ToHaveCountAsync(15);
        await Expect(items.Filter(new() { HasText = "Telegram" })).ToHaveCountAsync(0);

        await Admin.Page.GetByTestId("search").FillAsync($"{tag} 012");
        await Expect(items).ToHaveCountAsync(1);
        await Expect(items.First).ToContainTextAsync("Message number 12");
    }
}

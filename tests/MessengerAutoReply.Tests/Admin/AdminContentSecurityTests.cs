using System.Collections.Concurrent;
using MessengerAutoReply.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace MessengerAutoReply.Tests.Admin;

/// <summary>
/// Attacks on the console itself: a link carrying the key in its address must not sign anyone in (it would sit in
/// history and screenshots), and the console still works under its strict Content-Security-Policy, images and
/// voice notes included, with no policy violation reported by the browser.
/// </summary>
public sealed class AdminContentSecurityTests(ChromiumFixture chromium, ConsoleServiceFixture fixture)
    : ConsoleTest(chromium, fixture), IClassFixture<ChromiumFixture>, IClassFixture<ConsoleServiceFixture>
{
    [Fact]
    public async Task A_key_in_the_address_fragment_does_not_sign_in()
    {
        await Admin.Page.GotoAsync(new Uri(Service.BaseUri, "/#apiKey=" + TestService.ApiKey).ToString());
        await Expect(Admin.LoginKey).ToBeVisibleAsync();
        Assert.Null(await Admin.Page.EvaluateAsync<string?>("() => sessionStorage.getItem('messengerAutoReply.apiKey')"));
        await Expect(Admin.Connection).Not.ToHaveAttributeAsync("data-state", "connected");
    }

    [Fact]
    public async Task The_console_works_under_its_policy_without_violations()
    {
        var violations = new ConcurrentQueue<string>();
        Admin.Page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase) || message.Text.Contains("Refused to", StringComparison.Ordinal))
            {
                violations.Enqueue(message.Text);
            }
        };
        var chat = ChatSeeder.Telegram("Policy Petra");
        await Seeder.TextAsync(chat, "hello");
        var image = await Seeder.ImageAsync(chat, "a red square");
        var voice = await Seeder.VoiceAsync(chat, "call me back");
        var response = await Admin.Page.ReloadAsync();
        Assert.Contains("script-src 'self'", await response!.HeaderValueAsync("content-security-policy"), StringComparison.Ordinal);

        await Admin.LoginAsync();
        await Admin.OpenChatAsync(chat.ChatId);
        await Expect(Admin.Message(image.Id).Locator("img")).ToBeVisibleAsync();
        await Eventually.Get(() => Admin.Message(image.Id).Locator("img").EvaluateAsync<int>("img => img.naturalWidth"), w => w > 0, what: "the image decoded");
        await Expect(Admin.Message(voice.Id).Locator("audio")).ToBeAttachedAsync();
        await Admin.ReplyInput.FillAsync("Thanks!");
        await Admin.ReplyInput.PressAsync("Enter");
        await Expect(Admin.Messages.Filter(new() { HasText = "Thanks!" })).ToBeVisibleAsync();
        Assert.True(violations.IsEmpty, "CSP violations: " + string.Join(" | ", violations));
    }
}

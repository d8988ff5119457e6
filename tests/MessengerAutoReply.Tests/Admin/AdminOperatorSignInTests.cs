using System.Net;
using System.Net.Http.Json;
using MessengerAutoReply.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace MessengerAutoReply.Tests.Admin;

/// <summary>The console's sign-in with an operator's email and password (issue #17): a session cookie, not a key.</summary>
public sealed class AdminOperatorSignInTests(ChromiumFixture chromium, ConsoleServiceFixture fixture)
    : ConsoleTest(chromium, fixture), IClassFixture<ChromiumFixture>, IClassFixture<ConsoleServiceFixture>
{
    private async Task<(string Id, string Email)> CreateOperatorAsync(string name, string password)
    {
        var email = $"{name.Split(' ')[0].ToLowerInvariant()}-{Guid.NewGuid():N}@example.com";
        // The API key is an admin (decision 14): it creates the operator.
        using var response = await Service.Client.PostAsJsonAsync("/api/operators", new { email, name, role = "agent", password }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Ct);
        return (created.GetProperty("id").GetString()!, email);
    }

    [Fact]
    public async Task An_operator_signs_in_with_email_and_password_answers_under_its_name_stays_in_on_reload_and_logs_out()
    {
        var (_, email) = await CreateOperatorAsync("Vera Agent", "vera-password-1");
        var chat = ChatSeeder.Telegram("Pavel Customer");
        await Seeder.TextAsync(chat, "Is my parcel on its way?");

        await Admin.Page.GetByTestId("login-email").FillAsync(email);
        await Admin.Page.GetByTestId("login-password").FillAsync("vera-password-1");
        await Admin.LoginSubmit.ClickAsync();
        await Expect(Admin.Connection).ToHaveAttributeAsync("data-state", "connected");
        await Expect(Admin.Page.GetByTestId("whoami")).ToHaveTextAsync("Vera Agent · agent");
        await Expect(Admin.ChatItem(chat.ChatId)).ToContainTextAsync("Is my parcel on its way?");
        // No key anywhere in the page's storage: the session is an HttpOnly cookie the page cannot read.
        Assert.Null(await Admin.Page.EvaluateAsync<string?>("() => sessionStorage.getItem('messengerAutoReply.apiKey')"));
        Assert.Equal("", await Admin.Page.EvaluateAsync<string>("() => document.cookie"));
        var cookie = Assert.Single(await Context.CookiesAsync(), c => c.Name == "mar_session");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(Microsoft.Playwright.SameSiteAttribute.Strict, cookie.SameSite);

        await Admin.OpenChatAsync(chat.ChatId);
        await Admin.ReplyInput.FillAsync("Yes, it arrives tomorrow.");
        await Admin.ReplyInput.PressAsync("Enter");
        var sent = await Eventually.Get(() => Task.FromResult(Fixture.Telegram.SentTo(chat.ChatId).ToList()), s => s.Count == 1, what: "the reply sent");
        Assert.Equal("Yes, it arrives tomorrow.", sent[0].Content);
        Assert.Equal("Vera Agent", sent[0].SenderName);
        await Admin.ScreenshotAsync("admin-operator-signed-in.png");

        await Admin.Page.ReloadAsync();
        await Expect(Admin.Connection).ToHaveAttributeAsync("data-state", "connected");
        await Expect(Admin.Page.GetByTestId("whoami")).ToHaveTextAsync("Vera Agent · agent");

        await Admin.Page.GetByTestId("logout").ClickAsync();
        await Expect(Admin.LoginSubmit).ToBeVisibleAsync();
        await Eventually.True(() => Context.CookiesAsync().Result.All(c => c.Name != "mar_session"), what: "the session cookie removed");
        await Admin.Page.ReloadAsync();
        await Expect(Admin.LoginSubmit).ToBeVisibleAsync();
        await Expect(Admin.ChatList).Not.ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_wrong_password_is_refused_and_a_disabled_operator_is_signed_out_at_its_next_request()
    {
        var (id, email) = await CreateOperatorAsync("Ilya Agent", "ilya-password-1");
        await Admin.Page.GetByTestId("login-email").FillAsync(email);
        await Admin.Page.GetByTestId("login-password").FillAsync("not-the-password");
        await Admin.LoginSubmit.ClickAsync();
        await Expect(Admin.LoginError).ToContainTextAsync("email and password were not accepted");
        await Expect(Admin.Page.GetByTestId("login-password")).ToHaveAttributeAsync("aria-invalid", "true");
        await Admin.ScreenshotAsync("admin-operator-login-refused.png");

        await Admin.Page.GetByTestId("login-password").FillAsync("ilya-password-1");
        await Admin.LoginSubmit.ClickAsync();
        await Expect(Admin.Connection).ToHaveAttributeAsync("data-state", "connected");

        using (var disable = await Service.Client.PatchAsJsonAsync($"/api/operators/{id}", new { disabled = true }, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, disable.StatusCode);
        }
        // The next request the page makes is refused, and the console goes back to the sign-in form.
        await Admin.Page.GetByTestId("search").FillAsync("anything");
        await Expect(Admin.LoginError).ToContainTextAsync("session has ended");
        await Expect(Admin.ChatList).Not.ToBeVisibleAsync();
    }
}

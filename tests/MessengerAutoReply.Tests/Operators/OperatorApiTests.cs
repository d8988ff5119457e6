using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.Operators;

/// <summary>One API host (embedded default) with a configured first admin and a small wrong-password limit.</summary>
public sealed class OperatorApiFixture : IAsyncLifetime
{
    public const string AdminEmail = "boss@example.com";
    public const string AdminPassword = "admin-password-1";
    public const int AccountLimit = 3;

    private readonly TempDir _data = new();

    public RecordingGateway Telegram { get; } = new();

    public TestService Service { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Service = await TestService.StartAsync(_data.Path, new Dictionary<string, string?>
    {
        ["ADMIN_EMAIL"] = AdminEmail,
        ["ADMIN_PASSWORD"] = AdminPassword,
        ["LOGIN_FAILURE_LIMIT"] = AccountLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["LOGIN_ADDRESS_FAILURE_LIMIT"] = "1000",
        ["LOGIN_FAILURE_WINDOW"] = "1h",
    }, gateways: [Telegram]);

    public async ValueTask DisposeAsync()
    {
        await Service.DisposeAsync();
        _data.Dispose();
    }
}

public sealed class OperatorApiTests(OperatorApiFixture fixture) : IClassFixture<OperatorApiFixture>
{
    // Identity's v3 hash format starts with 0x01 and the PRF/iteration header; base64 "AQAAAA".
    private const string HashPrefix = "AQAAAA";

    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    private TestService Service => fixture.Service;

    private static string NewEmail(string who) => $"{who}-{Guid.NewGuid():N}@example.com";

    private Task<OperatorSession> AdminAsync() => OperatorSession.SignInAsync(Service, OperatorApiFixture.AdminEmail, OperatorApiFixture.AdminPassword);

    private static async Task<JsonElement> CreateAsync(HttpClient admin, string email, string role, string password = "agent-password-1", string name = "Anna Agent")
    {
        using var response = await admin.PostAsJsonAsync("/api/operators", new { email, name, role, password }, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        Assert.DoesNotContain(HashPrefix, text, StringComparison.Ordinal);
        Assert.DoesNotContain("password", text, StringComparison.OrdinalIgnoreCase);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task AssertProblem(HttpResponseMessage response, HttpStatusCode status, string? detailContains = null)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        if (detailContains is not null)
        {
            Assert.Contains(detailContains, JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task An_admin_signs_in_with_a_strict_http_only_cookie_sees_itself_and_signs_out()
    {
        using var session = new OperatorSession(Service);
        using var login = await session.LoginAsync("  BOSS@example.com ", OperatorApiFixture.AdminPassword);
        var me = await OperatorSession.JsonAsync(login, HttpStatusCode.OK);
        Assert.Equal(OperatorApiFixture.AdminEmail, me.GetProperty("email").GetString());
        Assert.Equal("admin", me.GetProperty("role").GetString());
        Assert.False(me.TryGetProperty("passwordHash", out _));
        var cookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        // Plain HTTP here; behind HTTPS the cookie is Secure (SameAsRequest).
        Assert.DoesNotContain("secure", cookie.Replace("samesite=strict", "", StringComparison.OrdinalIgnoreCase), StringComparison.OrdinalIgnoreCase);

        var who = await OperatorSession.JsonAsync(await session.Http.GetAsync("/api/auth/me", _ct), HttpStatusCode.OK);
        Assert.Equal("operator", who.GetProperty("kind").GetString());
        Assert.Equal(me.GetProperty("id").GetString(), who.GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.OK, (await session.Http.GetAsync("/api/chats", _ct)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await session.Http.PostAsync("/api/auth/logout", null, _ct)).StatusCode);
        await AssertProblem(await session.Http.GetAsync("/api/auth/me", _ct), HttpStatusCode.Unauthorized, "sign in");
    }

    [Fact]
    public async Task The_API_key_is_the_identity_api_with_admin_rights()
    {
        var me = await Service.Client.GetFromJsonAsync<JsonElement>("/api/auth/me", _ct);
        Assert.Equal("api", me.GetProperty("id").GetString());
        Assert.Equal("api", me.GetProperty("kind").GetString());
        Assert.Equal("admin", me.GetProperty("role").GetString());
        Assert.Equal(HttpStatusCode.OK, (await Service.Client.GetAsync("/api/operators", _ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Service.Client.GetAsync("/api/audit", _ct)).StatusCode);
        // No X-Requested-With needed: a key is not something a cross-site form can send.
        var agent = await CreateAsync(Service.Client, NewEmail("by-key"), "agent");
        var created = await Service.Client.GetFromJsonAsync<JsonElement>($"/api/audit?action=operator.created&operator=api", _ct);
        Assert.Contains(created.GetProperty("items").EnumerateArray(), e => e.GetProperty("targetId").GetString() == agent.GetProperty("id").GetString());
    }

    [Fact]
    public async Task An_agent_works_chats_and_reads_saved_replies_but_gets_403_on_operators_audit_and_saved_reply_changes()
    {
        using var admin = await AdminAsync();
        var email = NewEmail("agent");
        var agentRecord = await CreateAsync(admin.Http, email, "agent");
        using var agent = await OperatorSession.SignInAsync(Service, email, "agent-password-1");
        var id = agentRecord.GetProperty("id").GetString();

        await AssertProblem(await agent.Http.GetAsync("/api/operators", _ct), HttpStatusCode.Forbidden, "admins");
        await AssertProblem(await agent.Http.PostAsJsonAsync("/api/operators", new { email = NewEmail("x"), name = "X", role = "admin", password = "12345678" }, _ct), HttpStatusCode.Forbidden);
        await AssertProblem(await agent.Http.PatchAsJsonAsync($"/api/operators/{id}", new { role = "admin" }, _ct), HttpStatusCode.Forbidden);
        await AssertProblem(await agent.Http.DeleteAsync($"/api/operators/{id}", _ct), HttpStatusCode.Forbidden);
        await AssertProblem(await agent.Http.GetAsync("/api/audit", _ct), HttpStatusCode.Forbidden);
        await AssertProblem(await agent.Http.PostAsJsonAsync("/api/canned-responses", new { shortCode = "hi", content = "Hello" }, _ct), HttpStatusCode.Forbidden);

        Assert.Equal(HttpStatusCode.OK, (await agent.Http.GetAsync("/api/chats", _ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await agent.Http.GetAsync("/api/canned-responses", _ct)).StatusCode);
        var me = await OperatorSession.JsonAsync(await agent.Http.GetAsync("/api/auth/me", _ct), HttpStatusCode.OK);
        Assert.Equal("agent", me.GetProperty("role").GetString());
    }

    [Fact]
    public async Task A_cookie_request_that_changes_something_needs_X_Requested_With()
    {
        using var admin = await AdminAsync();
        using var bare = new OperatorSession(Service, requestedWith: false);
        foreach (Cookie cookie in admin.Cookies.GetAllCookies())
        {
            bare.Cookies.Add(cookie);
        }
        Assert.Equal(HttpStatusCode.OK, (await bare.Http.GetAsync("/api/operators", _ct)).StatusCode);
        await AssertProblem(await bare.Http.PostAsJsonAsync("/api/operators", new { email = NewEmail("csrf"), name = "C", role = "admin", password = "csrf-password" }, _ct),
            HttpStatusCode.Forbidden, "X-Requested-With");
        await AssertProblem(await bare.Http.PostAsJsonAsync("/api/messages", new { source = "telegram", platformChatId = "1", text = "hi" }, _ct),
            HttpStatusCode.Forbidden, "X-Requested-With");
        await AssertProblem(await bare.LoginAsync(OperatorApiFixture.AdminEmail, OperatorApiFixture.AdminPassword), HttpStatusCode.Forbidden, "X-Requested-With");
        var list = await OperatorSession.JsonAsync(await admin.Http.GetAsync("/api/operators?perPage=500", _ct), HttpStatusCode.OK);
        Assert.DoesNotContain(list.GetProperty("items").EnumerateArray(), o => o.GetProperty("email").GetString()!.StartsWith("csrf-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_disabled_operator_cannot_sign_in_and_its_open_session_stops_at_once()
    {
        using var admin = await AdminAsync();
        var email = NewEmail("leaver");
        var id = (await CreateAsync(admin.Http, email, "agent")).GetProperty("id").GetString();
        using var agent = await OperatorSession.SignInAsync(Service, email, "agent-password-1");
        Assert.Equal(HttpStatusCode.OK, (await agent.Http.GetAsync("/api/chats", _ct)).StatusCode);

        var patched = await OperatorSession.JsonAsync(await admin.Http.PatchAsJsonAsync($"/api/operators/{id}", new { disabled = true }, _ct), HttpStatusCode.OK);
        Assert.True(patched.GetProperty("disabled").GetBoolean());

        await AssertProblem(await agent.Http.GetAsync("/api/chats", _ct), HttpStatusCode.Unauthorized);
        using var again = new OperatorSession(Service);
        await AssertProblem(await again.LoginAsync(email, "agent-password-1"), HttpStatusCode.Unauthorized, "wrong");

        // Enabled again: signs in, and the old cookie stays dead (its stamp is gone).
        await OperatorSession.JsonAsync(await admin.Http.PatchAsJsonAsync($"/api/operators/{id}", new { disabled = false }, _ct), HttpStatusCode.OK);
        await AssertProblem(await agent.Http.GetAsync("/api/chats", _ct), HttpStatusCode.Unauthorized);
        using var back = await OperatorSession.SignInAsync(Service, email, "agent-password-1");
        Assert.Equal(HttpStatusCode.OK, (await back.Http.GetAsync("/api/chats", _ct)).StatusCode);
    }

    [Fact]
    public async Task A_disabled_operators_open_event_stream_ends_at_the_next_ping_and_cannot_reconnect()
    {
        using var admin = await AdminAsync();
        var email = NewEmail("streamer");
        var id = (await CreateAsync(admin.Http, email, "agent")).GetProperty("id").GetString();
        using var agent = await OperatorSession.SignInAsync(Service, email, "agent-password-1");
        await using var stream = await SseClient.ConnectAsync(agent.Http, "/api/stream", cancellationToken: _ct);
        Assert.Equal("ping", (await stream.NextAsync(TimeSpan.FromSeconds(10), includePings: true)).Event);

        await OperatorSession.JsonAsync(await admin.Http.PatchAsJsonAsync($"/api/operators/{id}", new { disabled = true }, _ct), HttpStatusCode.OK);
        // SSE_PING_INTERVAL is 1 s here: the stream ends within a ping or two.
        await Eventually.True(() => stream.Ended, TimeSpan.FromSeconds(10), what: "the stream ended");
        using var again = await agent.Http.GetAsync("/api/stream", HttpCompletionOption.ResponseHeadersRead, _ct);
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
    }

    [Fact]
    public async Task A_removed_operator_or_a_role_change_counts_on_the_next_request()
    {
        using var admin = await AdminAsync();
        var email = NewEmail("promoted");
        var id = (await CreateAsync(admin.Http, email, "agent")).GetProperty("id").GetString();
        using var agent = await OperatorSession.SignInAsync(Service, email, "agent-password-1");
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.Http.GetAsync("/api/audit", _ct)).StatusCode);
        await OperatorSession.JsonAsync(await admin.Http.PatchAsJsonAsync($"/api/operators/{id}", new { role = "admin" }, _ct), HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, (await agent.Http.GetAsync("/api/audit", _ct)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.Http.DeleteAsync($"/api/operators/{id}", _ct)).StatusCode);
        await AssertProblem(await agent.Http.GetAsync("/api/chats", _ct), HttpStatusCode.Unauthorized);
        await AssertProblem(await admin.Http.DeleteAsync($"/api/operators/{id}", _ct), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_last_active_admin_cannot_be_removed_disabled_or_demoted()
    {
        using var admin = await AdminAsync();
        var operators = await OperatorSession.JsonAsync(await admin.Http.GetAsync("/api/operators?perPage=500", _ct), HttpStatusCode.OK);
        // Other tests of this class add admins; make every admin but the first one an agent for this check.
        var me = await OperatorSession.JsonAsync(await admin.Http.GetAsync("/api/auth/me", _ct), HttpStatusCode.OK);
        var myId = me.GetProperty("id").GetString();
        foreach (var other in operators.GetProperty("items").EnumerateArray().Where(o => o.GetProperty("role").GetString() == "admin" && o.GetProperty("id").GetString() != myId))
        {
            await OperatorSession.JsonAsync(await admin.Http.PatchAsJsonAsync($"/api/operators/{other.GetProperty("id").GetString()}", new { role = "agent" }, _ct), HttpStatusCode.OK);
        }

        await AssertProblem(await admin.Http.PatchAsJsonAsync($"/api/operators/{myId}", new { role = "agent" }, _ct), HttpStatusCode.Conflict, "last active admin");
        await AssertProblem(await admin.Http.PatchAsJsonAsync($"/api/operators/{myId}", new { disabled = true }, _ct), HttpStatusCode.Conflict, "last active admin");
        await AssertProblem(await admin.Http.DeleteAsync($"/api/operators/{myId}", _ct), HttpStatusCode.Conflict, "last active admin");
        // A disabled admin does not count as the other one.
        var disabledAdmin = await CreateAsync(admin.Http, NewEmail("sleeping-admin"), "admin");
        await OperatorSession.JsonAsync(await admin.Http.PatchAsJsonAsync($"/api/operators/{disabledAdmin.GetProperty("id").GetString()}", new { disabled = true }, _ct), HttpStatusCode.OK);
        await AssertProblem(await admin.Http.PatchAsJsonAsync($"/api/operators/{myId}", new { role = "agent" }, _ct), HttpStatusCode.Conflict);

        // With a second active admin the first may step down (and is then an agent at once).
        var second = await CreateAsync(admin.Http, NewEmail("second-admin"), "admin", password: "second-password");
        var demoted = await OperatorSession.JsonAsync(await admin.Http.PatchAsJsonAsync($"/api/operators/{myId}", new { role = "agent" }, _ct), HttpStatusCode.OK);
        Assert.Equal("agent", demoted.GetProperty("role").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.Http.GetAsync("/api/operators", _ct)).StatusCode);
        using var secondSession = await OperatorSession.SignInAsync(Service, second.GetProperty("email").GetString()!, "second-password");
        await OperatorSession.JsonAsync(await secondSession.Http.PatchAsJsonAsync($"/api/operators/{myId}", new { role = "admin" }, _ct), HttpStatusCode.OK);
    }

    [Fact]
    public async Task Bad_operator_input_is_a_problem_naming_the_field_and_addresses_are_unique()
    {
        using var admin = await AdminAsync();
        await AssertProblem(await admin.Http.PostAsJsonAsync("/api/operators", new { email = "not-an-address", name = "N", role = "agent", password = "12345678" }, _ct), HttpStatusCode.BadRequest, "email");
        await AssertProblem(await admin.Http.PostAsJsonAsync("/api/operators", new { email = NewEmail("r"), name = "N", role = "owner", password = "12345678" }, _ct), HttpStatusCode.BadRequest, "role");
        await AssertProblem(await admin.Http.PostAsJsonAsync("/api/operators", new { email = NewEmail("p"), name = "N", role = "agent", password = "short" }, _ct), HttpStatusCode.BadRequest, "password");
        await AssertProblem(await admin.Http.PostAsJsonAsync("/api/operators", new { email = NewEmail("n"), role = "agent", password = "12345678" }, _ct), HttpStatusCode.BadRequest, "name");
        var email = NewEmail("twice");
        await CreateAsync(admin.Http, email, "agent");
        await AssertProblem(await admin.Http.PostAsJsonAsync("/api/operators", new { email = email.ToUpperInvariant(), name = "N", role = "agent", password = "12345678" }, _ct), HttpStatusCode.Conflict, "exists");
        await AssertProblem(await admin.Http.PatchAsJsonAsync("/api/operators/nosuchoperator0", new { name = "N" }, _ct), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Wrong_passwords_are_rate_limited_per_account_and_logged_without_the_password()
    {
        using var admin = await AdminAsync();
        var email = NewEmail("guessed");
        await CreateAsync(admin.Http, email, "agent", password: "the-right-password");
        using var attacker = new OperatorSession(Service);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < OperatorApiFixture.AccountLimit + 2; i++)
        {
            using var response = await attacker.LoginAsync(email, $"guess-{i}-secret-word");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.True(int.Parse(response.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
            }
        }
        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, OperatorApiFixture.AccountLimit).Concat(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 2)), statuses);
        // Even the right password waits out the window: a right guess must not stand out.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await attacker.LoginAsync(email, "the-right-password")).StatusCode);
        // Another account from the same address is not locked by this one's limit.
        Assert.Equal(HttpStatusCode.OK, (await new OperatorSession(Service).LoginAsync(OperatorApiFixture.AdminEmail, OperatorApiFixture.AdminPassword)).StatusCode);

        Assert.Contains(Service.Logs.Lines, l => l.Contains($"Failed sign-in for {email}", StringComparison.Ordinal) && l.Contains("wrong password", StringComparison.Ordinal));
        Assert.DoesNotContain(Service.Logs.Lines, l => l.Contains("secret-word", StringComparison.Ordinal) || l.Contains("the-right-password", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Changing_the_own_password_needs_the_current_one_and_ends_the_other_sessions()
    {
        using var admin = await AdminAsync();
        var email = NewEmail("changer");
        await CreateAsync(admin.Http, email, "agent", password: "old-password-1");
        using var laptop = await OperatorSession.SignInAsync(Service, email, "old-password-1");
        using var phone = await OperatorSession.SignInAsync(Service, email, "old-password-1");

        await AssertProblem(await laptop.Http.PostAsJsonAsync("/api/auth/password", new { currentPassword = "not-it-at-all", newPassword = "new-password-1" }, _ct), HttpStatusCode.BadRequest, "currentPassword");
        await AssertProblem(await laptop.Http.PostAsJsonAsync("/api/auth/password", new { currentPassword = "old-password-1", newPassword = "short" }, _ct), HttpStatusCode.BadRequest, "newPassword");
        Assert.Equal(HttpStatusCode.NoContent, (await laptop.Http.PostAsJsonAsync("/api/auth/password", new { currentPassword = "old-password-1", newPassword = "new-password-1" }, _ct)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await laptop.Http.GetAsync("/api/auth/me", _ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await phone.Http.GetAsync("/api/auth/me", _ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await new OperatorSession(Service).LoginAsync(email, "old-password-1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await new OperatorSession(Service).LoginAsync(email, "new-password-1")).StatusCode);
        await AssertProblem(await Service.Client.PostAsJsonAsync("/api/auth/password", new { currentPassword = "x", newPassword = "new-password-2" }, _ct), HttpStatusCode.BadRequest, "API key");
    }

    [Fact]
    public async Task The_audit_log_records_sign_ins_operator_changes_messages_and_autoMode_with_filters()
    {
        using var admin = await AdminAsync();
        var email = NewEmail("audited");
        var agentId = (await CreateAsync(admin.Http, email, "agent", name: "Olga Operator")).GetProperty("id").GetString();
        using var agent = await OperatorSession.SignInAsync(Service, email, "agent-password-1");
        var platformChatId = Random.Shared.NextInt64(1_000_000, long.MaxValue).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var posted = await OperatorSession.JsonAsync(await agent.Http.PostAsJsonAsync("/api/messages",
            new { source = "telegram", platformChatId, text = "We ship tomorrow", senderName = "Someone Else" }, _ct), HttpStatusCode.Accepted);
        // An operator's message carries the operator's name, not the request's.
        Assert.Equal("Olga Operator", posted.GetProperty("senderName").GetString());
        var chatId = posted.GetProperty("chatId").GetString();
        await OperatorSession.JsonAsync(await agent.Http.PatchAsJsonAsync($"/api/chats/{chatId}/autoMode", new { autoMode = true }, _ct), HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.NoContent, (await agent.Http.PostAsync("/api/auth/logout", null, _ct)).StatusCode);

        var byAgent = await OperatorSession.JsonAsync(await admin.Http.GetAsync($"/api/audit?operator={agentId}", _ct), HttpStatusCode.OK);
        var actions = byAgent.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("action").GetString()).ToList();
        Assert.Equal(["auth.signout", "chat.autoMode", "message.sent", "auth.signin"], actions);
        Assert.Equal(4, byAgent.GetProperty("totalItems").GetInt32());
        Assert.Equal(50, byAgent.GetProperty("perPage").GetInt32());
        Assert.All(byAgent.GetProperty("items").EnumerateArray(), e => Assert.Equal("Olga Operator", e.GetProperty("operatorName").GetString()));

        var byChat = await OperatorSession.JsonAsync(await admin.Http.GetAsync($"/api/audit?chat={chatId}", _ct), HttpStatusCode.OK);
        Assert.Equal(["chat.autoMode", "message.sent"], byChat.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("action").GetString()));
        Assert.Equal("on", byChat.GetProperty("items")[0].GetProperty("detail").GetString());
        var created = await OperatorSession.JsonAsync(await admin.Http.GetAsync($"/api/audit?action=operator.created&perPage=500", _ct), HttpStatusCode.OK);
        Assert.Contains(created.GetProperty("items").EnumerateArray(), e => e.GetProperty("targetId").GetString() == agentId);
        var page = await OperatorSession.JsonAsync(await admin.Http.GetAsync($"/api/audit?operator={agentId}&perPage=1&page=2", _ct), HttpStatusCode.OK);
        Assert.Equal(4, page.GetProperty("totalPages").GetInt32());
        Assert.Equal("chat.autoMode", page.GetProperty("items")[0].GetProperty("action").GetString());
        await AssertProblem(await admin.Http.GetAsync("/api/audit?perPage=501", _ct), HttpStatusCode.BadRequest, "perPage");
    }

    [Fact]
    public async Task Saved_replies_are_changed_by_admins_and_read_by_everyone()
    {
        using var admin = await AdminAsync();
        var code = $"ship{Random.Shared.Next(100_000)}";
        var created = await OperatorSession.JsonAsync(await admin.Http.PostAsJsonAsync("/api/canned-responses", new { shortCode = code, content = "Hello {{name}}, it ships today." }, _ct), HttpStatusCode.Created);
        var id = created.GetProperty("id").GetString();
        await AssertProblem(await admin.Http.PostAsJsonAsync("/api/canned-responses", new { shortCode = code, content = "again" }, _ct), HttpStatusCode.Conflict);
        await AssertProblem(await admin.Http.PostAsJsonAsync("/api/canned-responses", new { shortCode = "Has Space", content = "x" }, _ct), HttpStatusCode.BadRequest, "shortCode");
        var updated = await OperatorSession.JsonAsync(await admin.Http.PatchAsJsonAsync($"/api/canned-responses/{id}", new { content = "Hi {{name}}!" }, _ct), HttpStatusCode.OK);
        Assert.Equal(code, updated.GetProperty("shortCode").GetString());

        var email = NewEmail("reader");
        await CreateAsync(admin.Http, email, "agent");
        using var agent = await OperatorSession.SignInAsync(Service, email, "agent-password-1");
        var list = await OperatorSession.JsonAsync(await agent.Http.GetAsync("/api/canned-responses?perPage=500", _ct), HttpStatusCode.OK);
        Assert.Contains(list.GetProperty("items").EnumerateArray(), r => r.GetProperty("shortCode").GetString() == code && r.GetProperty("content").GetString() == "Hi {{name}}!");
        await AssertProblem(await agent.Http.DeleteAsync($"/api/canned-responses/{id}", _ct), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.Http.DeleteAsync($"/api/canned-responses/{id}", _ct)).StatusCode);
        await AssertProblem(await admin.Http.DeleteAsync($"/api/canned-responses/{id}", _ct), HttpStatusCode.NotFound);
        var audit = await OperatorSession.JsonAsync(await admin.Http.GetAsync($"/api/audit?action=cannedResponse.deleted", _ct), HttpStatusCode.OK);
        Assert.Contains(audit.GetProperty("items").EnumerateArray(), e => e.GetProperty("targetId").GetString() == id);
    }

    [Fact]
    public async Task No_answer_and_no_log_line_ever_holds_a_password_hash_or_a_password()
    {
        using var admin = await AdminAsync();
        var email = NewEmail("hashless");
        await CreateAsync(admin.Http, email, "agent", password: "hashless-password");
        using var agent = await OperatorSession.SignInAsync(Service, email, "hashless-password");
        foreach (var path in new[] { "/api/operators?perPage=500", "/api/audit?perPage=500", "/api/auth/me" })
        {
            var text = await (await admin.Http.GetAsync(path, _ct)).Content.ReadAsStringAsync(_ct);
            Assert.DoesNotContain(HashPrefix, text, StringComparison.Ordinal);
            Assert.DoesNotContain("passwordHash", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("securityStamp", text, StringComparison.OrdinalIgnoreCase);
        }
        Assert.DoesNotContain(Service.Logs.Lines, l => l.Contains(HashPrefix, StringComparison.Ordinal)
            || l.Contains("hashless-password", StringComparison.Ordinal) || l.Contains(OperatorApiFixture.AdminPassword, StringComparison.Ordinal));
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MessengerAutoReply.Operators;
using MessengerAutoReply.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace MessengerAutoReply.Tests.Operators;

/// <summary>
/// The workspace stores' contract, run against both: SQLite (embedded default) and the run's real PocketBase
/// 0.22.20. The stores come from the real API host's container, as the routes get them.
/// </summary>
public abstract class OperatorStoreContract(TestService service)
{
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IOperatorStore Operators => service.App.Services.GetRequiredService<IOperatorStore>();

    private IAuditLog Audit => service.App.Services.GetRequiredService<IAuditLog>();

    private ICannedResponseStore Canned => service.App.Services.GetRequiredService<ICannedResponseStore>();

    private static OperatorAccount NewAccount(string role = OperatorRoles.Agent) => new()
    {
        Id = WorkspaceIds.New(),
        Email = $"Store-{Guid.NewGuid():N}@Example.com",
        Name = "Store Test",
        Role = role,
        PasswordHash = "hash-" + Guid.NewGuid().ToString("N"),
        SecurityStamp = Guid.NewGuid().ToString("N"),
        Created = DateTimeOffset.UtcNow,
        Updated = DateTimeOffset.UtcNow,
    };

    [Fact]
    public async Task Operators_are_created_found_by_address_in_any_case_updated_counted_and_removed()
    {
        var account = NewAccount();
        await Operators.CreateAsync(account, Ct);
        var found = await Operators.FindByEmailAsync(account.Email.ToUpperInvariant(), Ct);
        Assert.NotNull(found);
        Assert.Equal(account.Id, found.Id);
        Assert.Equal(OperatorAccount.NormalizeEmail(account.Email), found.Email);
        Assert.Equal(account.PasswordHash, found.PasswordHash);
        Assert.Equal(account.SecurityStamp, found.SecurityStamp);
        Assert.Equal(account.Id, (await Operators.GetAsync(account.Id, Ct))!.Id);

        var twin = NewAccount() with { Email = account.Email.ToLowerInvariant() };
        await Assert.ThrowsAsync<OperatorEmailTakenException>(() => Operators.CreateAsync(twin, Ct));

        var admins = await Operators.CountActiveAdminsAsync(Ct);
        Assert.True(await Operators.UpdateAsync(found with { Role = OperatorRoles.Admin, Name = "Renamed" }, Ct));
        Assert.Equal(admins + 1, await Operators.CountActiveAdminsAsync(Ct));
        Assert.True(await Operators.UpdateAsync(found with { Role = OperatorRoles.Admin, Disabled = true }, Ct));
        Assert.Equal(admins, await Operators.CountActiveAdminsAsync(Ct));
        var reread = (await Operators.GetAsync(account.Id, Ct))!;
        Assert.True(reread.Disabled);

        var other = NewAccount();
        await Operators.CreateAsync(other, Ct);
        await Assert.ThrowsAsync<OperatorEmailTakenException>(() => Operators.UpdateAsync(other with { Email = account.Email }, Ct));
        Assert.False(await Operators.UpdateAsync(NewAccount(), Ct));

        var list = await Operators.ListAsync(1, 500, Ct);
        Assert.Contains(list.Items, a => a.Id == account.Id);
        Assert.True(list.TotalItems >= 2);
        Assert.True(await Operators.DeleteAsync(account.Id, Ct));
        Assert.False(await Operators.DeleteAsync(account.Id, Ct));
        Assert.Null(await Operators.GetAsync(account.Id, Ct));
        Assert.Null(await Operators.FindByEmailAsync(account.Email, Ct));
    }

    [Fact]
    public async Task Audit_entries_are_listed_newest_first_and_filtered()
    {
        var operatorId = WorkspaceIds.New();
        var chatId = WorkspaceIds.New();
        var start = DateTimeOffset.UtcNow;
        for (var i = 0; i < 3; i++)
        {
            await Audit.RecordAsync(new AuditEntry
            {
                Id = WorkspaceIds.New(), At = start.AddSeconds(i), OperatorId = operatorId, OperatorName = "Olga",
                Action = i == 2 ? AuditActions.AutoModeSwitched : AuditActions.MessageSent, ChatId = chatId, Detail = $"n{i}",
            }, Ct);
        }
        var all = await Audit.ListAsync(new AuditQuery(OperatorId: operatorId), Ct);
        Assert.Equal(["n2", "n1", "n0"], all.Items.Select(e => e.Detail));
        Assert.Equal("Olga", all.Items[0].OperatorName);
        Assert.Equal(start.AddSeconds(2).ToUnixTimeMilliseconds(), all.Items[0].At.ToUnixTimeMilliseconds());
        var sent = await Audit.ListAsync(new AuditQuery(ChatId: chatId, Action: AuditActions.MessageSent, PerPage: 1), Ct);
        Assert.Equal(2, sent.TotalItems);
        Assert.Equal(2, sent.TotalPages);
        Assert.Equal("n1", Assert.Single(sent.Items).Detail);
        Assert.Empty((await Audit.ListAsync(new AuditQuery(OperatorId: "nobody'||1=1"), Ct)).Items);
    }

    [Fact]
    public async Task Saved_replies_keep_short_codes_unique()
    {
        var code = $"code{Guid.NewGuid():N}"[..20];
        var reply = new CannedResponse(WorkspaceIds.New(), code, "Hello {{name}}", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
        await Canned.CreateAsync(reply, Ct);
        await Assert.ThrowsAsync<ShortCodeTakenException>(() => Canned.CreateAsync(reply with { Id = WorkspaceIds.New() }, Ct));
        Assert.True(await Canned.UpdateAsync(reply with { Content = "Changed" }, Ct));
        Assert.Equal("Changed", (await Canned.GetAsync(reply.Id, Ct))!.Content);
        Assert.Contains((await Canned.ListAsync(1, 500, Ct)).Items, r => r.ShortCode == code);
        Assert.True(await Canned.DeleteAsync(reply.Id, Ct));
        Assert.Null(await Canned.GetAsync(reply.Id, Ct));
    }
}

public sealed class SqliteStoreFixture : IAsyncLifetime
{
    private readonly TempDir _data = new();

    public TestService Service { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Service = await TestService.StartAsync(_data.Path);

    public async ValueTask DisposeAsync()
    {
        await Service.DisposeAsync();
        _data.Dispose();
    }
}

public sealed class SqliteOperatorStoreTests(SqliteStoreFixture fixture) : OperatorStoreContract(fixture.Service), IClassFixture<SqliteStoreFixture>;

public sealed class PocketBaseStoreFixture(PocketBaseFixture pocketBase) : IAsyncLifetime
{
    private readonly TempDir _data = new();

    public PocketBaseFixture PocketBase => pocketBase;

    public TestService Service { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Service = await TestService.StartAsync(_data.Path, pocketBase.Settings);

    public async ValueTask DisposeAsync()
    {
        await Service.DisposeAsync();
        _data.Dispose();
    }
}

public sealed class PocketBaseOperatorStoreTests(PocketBaseStoreFixture fixture) : OperatorStoreContract(fixture.Service), IClassFixture<PocketBaseStoreFixture>
{
    [Fact]
    public async Task Operators_and_audit_are_for_PocketBase_admins_only_so_no_user_reads_a_hash()
    {
        await Operators_and_audit_exist();
        using var admin = await fixture.PocketBase.AdminAsync();
        foreach (var name in new[] { "operators", "audit" })
        {
            var collection = (await admin.GetFromJsonAsync<JsonObject>($"/api/collections/{name}", Ct))!;
            foreach (var rule in new[] { "listRule", "viewRule", "createRule", "updateRule", "deleteRule" })
            {
                Assert.Null(collection[rule]);
            }
        }
        // A PocketBase user (an auth record of the default users collection) is refused.
        using var anonymous = new HttpClient { BaseAddress = fixture.PocketBase.Url };
        var email = $"user-{Guid.NewGuid():N}@example.com";
        using (var signup = await anonymous.PostAsJsonAsync("/api/collections/users/records", new { email, password = "user-password-1", passwordConfirm = "user-password-1" }, Ct))
        {
            Assert.True(signup.IsSuccessStatusCode, await signup.Content.ReadAsStringAsync(Ct));
        }
        using var login = await anonymous.PostAsJsonAsync("/api/collections/users/auth-with-password", new { identity = email, password = "user-password-1" }, Ct);
        var token = (await login.Content.ReadFromJsonAsync<JsonObject>(Ct))!["token"]!.GetValue<string>();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/collections/operators/records");
        request.Headers.TryAddWithoutValidation("Authorization", token);
        using var asUser = await anonymous.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, asUser.StatusCode);
        var text = await asUser.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain("passwordHash", text, StringComparison.Ordinal);
        // The service itself (an admin) reads them: the first admin was created there.
        var records = (await admin.GetFromJsonAsync<JsonObject>("/api/collections/operators/records?perPage=1", Ct))!;
        Assert.True(records["totalItems"]!.GetValue<int>() >= 1);
    }

    private async Task Operators_and_audit_exist() =>
        await fixture.Service.App.Services.GetRequiredService<IAuditLog>().ListAsync(new AuditQuery(PerPage: 1), Ct);
}

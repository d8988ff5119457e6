using MessengerAutoReply.Tests.Infrastructure;
using Microsoft.Playwright;

namespace MessengerAutoReply.Tests.Admin;

/// <summary>
/// A browser test against the class's running API host: a fresh browser context and page per test, which must
/// end without an uncaught error in the page.
/// </summary>
public abstract class ConsoleTest(ChromiumFixture chromium, ConsoleServiceFixture fixture) : IAsyncLifetime
{
    protected CancellationToken Ct { get; } = TestContext.Current.CancellationToken;
    protected IBrowserContext Context { get; private set; } = null!;
    protected ConsolePage Admin { get; private set; } = null!;
    protected ConsoleServiceFixture Fixture => fixture;
    protected TestService Service => fixture.Service;
    protected ChatSeeder Seeder => fixture.Seeder;

    public async ValueTask InitializeAsync()
    {
        Context = await chromium.NewContextAsync();
        Admin = await ConsolePage.OpenAsync(Context, Service.BaseUri);
    }

    public async ValueTask DisposeAsync()
    {
        await Context.CloseAsync();
        Admin.AssertNoPageErrors();
        GC.SuppressFinalize(this);
    }
}

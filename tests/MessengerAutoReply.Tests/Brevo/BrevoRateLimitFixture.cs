using MessengerAutoReply.Brevo;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Fakes.Brevo;
using MessengerAutoReply.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace MessengerAutoReply.Tests.Brevo;

/// <summary>
/// The Brevo service with one fake clock for Brevo's rate windows (the fake), the send queue's waits (the
/// gateway) and the chats' retry times: a window ends when the test moves the clock, so how fast the machine is
/// cannot decide whether a send meets a 429, waits in the queue, or is deferred.
/// </summary>
public class BrevoRateLimitFixture : BrevoFixture
{
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    protected override void ConfigureFake(FakeBrevoServer fake)
    {
        fake.TimeProvider = Clock;
        // Echoes wait on the fake's clock: sent at once, they need no tick.
        fake.EchoDelay = TimeSpan.Zero;
    }

    protected override void Configure(WebApplicationBuilder builder)
    {
        builder.Services.AddKeyedSingleton<TimeProvider>(ChatClock.Key, Clock);
        builder.Services.AddSingleton(sp => new BrevoGateway(
            sp.GetRequiredService<BrevoApiClient>(),
            sp.GetRequiredService<IOptions<BrevoOptions>>(),
            Clock,
            sp.GetRequiredService<ILogger<BrevoGateway>>()));
    }

    /// <summary>Moves the clock a step at a time until <paramref name="done"/> holds: time passes only while the service waits.</summary>
    public Task AdvanceUntilAsync(Func<Task<bool>> done, string what, TimeSpan? step = null) =>
        Eventually.Get(async () =>
        {
            if (await done())
            {
                return true;
            }
            Clock.Advance(step ?? TimeSpan.FromMilliseconds(100));
            return false;
        }, d => d, TimeSpan.FromSeconds(30), what);
}

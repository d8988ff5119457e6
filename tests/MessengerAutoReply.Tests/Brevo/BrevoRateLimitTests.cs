using System.Net.Http.Json;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Fakes.Brevo;
using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.Brevo;

/// <summary>
/// Brevo's account-wide rate budget, on a fake clock: the windows are started by the test's own pings and end only
/// when the test moves the clock (BREVO_QUEUE_MAX_WAIT is 1.5 s).
/// </summary>
public sealed class BrevoRateLimitTests(BrevoRateLimitFixture brevo) : IClassFixture<BrevoRateLimitFixture>, IDisposable
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    private FakeBrevoServer Fake => brevo.Fake;

    public void Dispose()
    {
        // The next test starts in a window of its own, past whatever this one left blocked.
        brevo.Clock.Advance(TimeSpan.FromHours(1));
        Fake.RateLimitPerWindow = 100;
        Fake.RateWindow = TimeSpan.FromHours(1);
        Fake.ClearRecorded();
    }

    private static bool SentAndStored(IReadOnlyList<ChatMessage> messages, ChatMessage posted) =>
        messages.Any(x => x.Id == posted.Id && x.Status == MessageStatus.Sent);

    [Fact]
    public async Task A_429_is_waited_out_and_the_reply_is_sent_once()
    {
        var visitor = Fake.CreateVisitor();
        var warm = await brevo.PostReplyAsync(visitor, "Hello!");
        await brevo.WaitForMessagesAsync(warm.ChatId, m => SentAndStored(m, warm), "warm-up reply");
        brevo.Clock.Advance(TimeSpan.FromHours(1));
        Fake.ClearRecorded(); // a fresh rate window
        Fake.RateLimitPerWindow = 2;
        Fake.RateWindow = TimeSpan.FromSeconds(1); // shorter than BREVO_QUEUE_MAX_WAIT (1.5 s): waited out in the queue
        // Another tool on the same Brevo account spends the budget: only Brevo's 429 can tell us.
        await SpendBudgetAsync();
        var before = Fake.TooManyRequestsCount;

        var posted = await brevo.PostReplyAsync(visitor, "Worth the wait.");
        // The clock stands still, so the window cannot have ended: the send meets the 429.
        await Eventually.True(() => Fake.TooManyRequestsCount == before + 1, what: "Brevo's 429");
        await brevo.AdvanceUntilAsync(async () => SentAndStored(await brevo.MessagesAsync(posted.ChatId), posted), "the reply sent after the reset");

        Assert.Equal(before + 1, Fake.TooManyRequestsCount);
        Assert.Single(Fake.SentTo(visitor.Id), m => m.Text == "Worth the wait.");
        Assert.Contains(brevo.Service.Logs.Lines, l => l.Contains("rate limit (429)", StringComparison.Ordinal));
        var stored = await brevo.MessagesAsync(posted.ChatId);
        Assert.Null(stored.Single(m => m.Id == posted.Id).Error); // never handed back: it waited in the queue
    }

    [Fact]
    public async Task A_reset_further_away_than_the_queue_waits_defers_the_reply_without_failing_it()
    {
        var visitor = Fake.CreateVisitor();
        Fake.ClearRecorded(); // a fresh rate window
        Fake.RateLimitPerWindow = 2;
        Fake.RateWindow = TimeSpan.FromSeconds(2); // longer than BREVO_QUEUE_MAX_WAIT (1.5 s)
        await SpendBudgetAsync();
        var before = Fake.TooManyRequestsCount;

        var posted = await brevo.PostReplyAsync(visitor, "Patience.");
        var waiting = await brevo.WaitForMessagesAsync(posted.ChatId,
            m => m.Any(x => x.Status == MessageStatus.Pending && x.Error?.Contains("rate budget", StringComparison.Ordinal) == true), "deferred reply");
        Assert.Single(waiting);
        Assert.Empty(Fake.SentTo(visitor.Id));

        await brevo.AdvanceUntilAsync(async () => SentAndStored(await brevo.MessagesAsync(posted.ChatId), posted), "the reply sent after the reset");
        var sent = await brevo.MessagesAsync(posted.ChatId);
        Assert.Null(sent.Single().Error);
        Assert.Single(Fake.SentTo(visitor.Id));
        Assert.Equal(before + 1, Fake.TooManyRequestsCount);
    }

    [Fact]
    public async Task A_burst_of_30_replies_to_several_chats_is_paced_by_the_budget_all_delivered_in_order_per_chat()
    {
        var visitors = Enumerable.Range(0, 3).Select(i => Fake.CreateVisitor(displayedName: $"Customer {i}")).ToArray();
        var before = Fake.TooManyRequestsCount;
        Fake.ClearRecorded();
        Fake.RateLimitPerWindow = 10;
        Fake.RateWindow = TimeSpan.FromSeconds(1);
        var started = brevo.Clock.GetUtcNow();
        for (var n = 0; n < 10; n++)
        {
            foreach (var visitor in visitors)
            {
                await brevo.PostReplyAsync(visitor, $"reply {n:00} to {visitor.DisplayedName}", responseMode: "api");
            }
        }

        await brevo.AdvanceUntilAsync(() => Task.FromResult(visitors.All(v => Fake.SentTo(v.Id).Count >= 10)), "30 replies at Brevo");
        foreach (var visitor in visitors)
        {
            var expected = Enumerable.Range(0, 10).Select(n => $"reply {n:00} to {visitor.DisplayedName}");
            Assert.Equal(expected, Fake.SentTo(visitor.Id).Select(s => s.Text));
            await brevo.AdvanceUntilAsync(async () => (await brevo.MessagesAsync(BrevoFixture.ChatIdOf(visitor))) is { Count: 10 } m && m.All(x => x.Status == MessageStatus.Sent),
                "10 sent replies stored");
            var stored = await brevo.MessagesAsync(BrevoFixture.ChatIdOf(visitor));
            Assert.Equal(Fake.SentTo(visitor.Id).Select(s => s.Id), stored.Select(m => m.PlatformMessageId));
        }
        // Paced by the headers, not by being told off: Brevo never had to answer 429, and 30 sends at 10 per
        // window took three windows of the (fake) clock.
        Assert.Equal(before, Fake.TooManyRequestsCount);
        var last = Fake.SentMessages.Max(m => m.ReceivedAt);
        Assert.True(last - started >= TimeSpan.FromSeconds(2), $"30 sends at 10 per second took {last - started} of the clock");
    }

    private async Task SpendBudgetAsync()
    {
        for (var i = 0; i < Fake.RateLimitPerWindow; i++)
        {
            using var http = new HttpClient();
            using var request = new HttpRequestMessage(HttpMethod.Post, $"{Fake.ApiBaseUrl}/conversations/agentOnlinePing")
            {
                Content = JsonContent.Create(new { agentId = Fake.AgentId }),
            };
            request.Headers.Add("api-key", Fake.ApiKey);
            using var response = await http.SendAsync(request, _ct);
            Assert.Equal(201, (int)response.StatusCode);
        }
    }
}

using System.Diagnostics;
using System.Net.Http.Json;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Fakes.Brevo;
using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.Brevo;

/// <summary>Service → Brevo: replies through the agent API, its errors and its account-wide rate budget.</summary>
public sealed class BrevoDeliveryTests(BrevoService brevo) : IClassFixture<BrevoService>
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    private FakeBrevoServer Fake => brevo.Fake;

    [Fact]
    public async Task A_reply_is_sent_once_as_our_agent_keeps_Brevos_id_and_its_echo_is_one_message()
    {
        var visitor = Fake.CreateVisitor();
        Assert.Equal(200, await brevo.DeliverAsync(Fake.BuildVisitorTextFragment(visitor, "Do you ship to Lyon?")));

        var posted = await brevo.PostReplyAsync(visitor, "Yes, we ship to Lyon in 2-3 days.");
        Assert.Equal((MessageStatus.Pending, Platforms.Brevo, Sources.Instagram), (posted.Status, posted.Platform, posted.Source));

        var sent = await Fake.WaitForSentAsync(m => m.VisitorId == visitor.Id, cancellationToken: _ct);
        Assert.Equal(("Yes, we ship to Lyon in 2-3 days.", Fake.AgentId, "messenger-autoreply"), (sent.Text, sent.AgentId, sent.ReceivedFrom));
        Assert.Equal(Fake.ApiKey, sent.Headers["api-key"]);
        Assert.StartsWith("application/json", sent.Headers["content-type"], StringComparison.Ordinal);
        await Fake.WaitForWebhookDeliveriesAsync(d => d.IsEcho && d.Succeeded && d.Body.Contains(sent.Id, StringComparison.Ordinal), cancellationToken: _ct);

        var messages = await brevo.SettledMessagesAsync(visitor);
        Assert.Equal(2, messages.Count);
        var reply = messages[1];
        Assert.Equal((posted.Id, sent.Id, MessageStatus.Sent, false), (reply.Id, reply.PlatformMessageId, reply.Status, reply.IsIncoming));
        Assert.Single(Fake.SentTo(visitor.Id));
    }

    [Fact]
    public async Task A_refusal_marks_the_reply_failed_with_Brevos_message_and_flags_the_chat()
    {
        var visitor = Fake.CreateVisitor();
        Fake.FailNext(403, message: "Permission denied for this agent");
        var posted = await brevo.PostReplyAsync(visitor, "This will not go out.");

        var messages = await brevo.WaitForMessagesAsync(posted.ChatId, m => m.Any(x => x.Status == MessageStatus.Failed), "failed reply");
        Assert.Contains("Permission denied for this agent", messages[0].Error, StringComparison.Ordinal);
        var chat = await brevo.ChatAsync(posted.ChatId);
        Assert.Contains("Permission denied for this agent", chat!.Error, StringComparison.Ordinal);
        Assert.Empty(Fake.SentTo(visitor.Id));
    }

    [Fact]
    public async Task A_server_error_is_retried_and_the_reply_goes_out_once()
    {
        var visitor = Fake.CreateVisitor();
        Fake.FailNext(502);
        var posted = await brevo.PostReplyAsync(visitor, "Second time lucky.");

        await brevo.WaitForMessagesAsync(posted.ChatId, m => m.Any(x => x.Status == MessageStatus.Sent), "sent reply");
        Assert.Single(Fake.SentTo(visitor.Id));
        Assert.Contains(Fake.Requests, r => r.StatusCode == 502);
    }

    [Fact]
    public async Task A_2xx_whose_body_cannot_be_read_is_sent_once_and_never_again()
    {
        var visitor = Fake.CreateVisitor();
        Fake.GarbleNextSuccess();
        var posted = await brevo.PostReplyAsync(visitor, "Delivered, though Brevo's answer broke off.", responseMode: "api");

        var messages = await brevo.WaitForMessagesAsync(posted.ChatId, m => m.Any(x => x.Id == posted.Id && x.Status == MessageStatus.Sent), "reply marked sent");
        var reply = messages.Single(m => m.Id == posted.Id);
        Assert.Contains("message id is unknown", reply.Error, StringComparison.Ordinal);
        // A chat delivers in order, one message at a time: once a later message is out, a retry of the first
        // (if one were queued) would have gone out before it.
        await brevo.PostReplyAsync(visitor, "marker", responseMode: "api");
        await Fake.WaitForSentAsync(m => m.VisitorId == visitor.Id && m.Text == "marker", cancellationToken: _ct);
        Assert.Equal(["Delivered, though Brevo's answer broke off.", "marker"], Fake.SentTo(visitor.Id).Select(m => m.Text));
    }

    [Fact]
    public async Task Long_replies_are_split_at_Instagrams_limit_in_order()
    {
        var visitor = Fake.CreateVisitor();
        var words = Enumerable.Range(1, 500).Select(i => $"word{i}");
        var text = string.Join(' ', words);
        Assert.True(text.Length > 2000);
        var posted = await brevo.PostReplyAsync(visitor, text, responseMode: "api");

        await brevo.WaitForMessagesAsync(posted.ChatId, m => m.Count(x => x.Status == MessageStatus.Sent) >= 3, "all parts sent");
        var sent = Fake.SentTo(visitor.Id);
        Assert.True(sent.Count >= 3);
        Assert.All(sent, s => Assert.True(s.Text.Length <= 1000));
        Assert.Equal(text, string.Join(' ', sent.Select(s => s.Text)));
    }

    [Fact]
    public async Task A_429_is_waited_out_and_the_reply_is_sent_once()
    {
        var visitor = Fake.CreateVisitor();
        // Warm the path (chat, grain, HTTP client) so the send lands inside the short window below.
        var warm = await brevo.PostReplyAsync(visitor, "Hello!");
        await brevo.WaitForMessagesAsync(warm.ChatId, m => m.Any(x => x.Status == MessageStatus.Sent), "warm-up reply");
        var before = Fake.TooManyRequestsCount;
        Fake.ClearRecorded(); // a fresh rate window
        // A budget of 2, so our successful send after the reset leaves one and blocks nothing after this test.
        Fake.RateLimitPerWindow = 2;
        Fake.RateWindow = TimeSpan.FromSeconds(1); // shorter than BREVO_QUEUE_MAX_WAIT (1.5s): waited out in the queue
        try
        {
            // Another tool on the same Brevo account spends the budget: only Brevo's 429 can tell us.
            await SpendBudgetAsync();
            var posted = await brevo.PostReplyAsync(visitor, "Worth the wait.");

            await brevo.WaitForMessagesAsync(posted.ChatId, m => m.Any(x => x.Id == posted.Id && x.Status == MessageStatus.Sent), "sent reply");
            Assert.True(Fake.TooManyRequestsCount > before);
            Assert.Single(Fake.SentTo(visitor.Id), m => m.Text == "Worth the wait.");
            Assert.Contains(brevo.Service.Logs.Lines, l => l.Contains("rate limit (429)", StringComparison.Ordinal));
            var stored = await brevo.MessagesAsync(posted.ChatId);
            Assert.Null(stored.Single(m => m.Id == posted.Id).Error); // never handed back: it waited in the queue
        }
        finally
        {
            Fake.RateLimitPerWindow = null;
        }
    }

    [Fact]
    public async Task A_reset_further_away_than_the_queue_waits_defers_the_reply_without_failing_it()
    {
        var visitor = Fake.CreateVisitor();
        Fake.ClearRecorded(); // a fresh rate window
        Fake.RateLimitPerWindow = 2;
        Fake.RateWindow = TimeSpan.FromSeconds(2); // longer than BREVO_QUEUE_MAX_WAIT (1.5s)
        try
        {
            await SpendBudgetAsync();
            var posted = await brevo.PostReplyAsync(visitor, "Patience.");

            var waiting = await brevo.WaitForMessagesAsync(posted.ChatId,
                m => m.Any(x => x.Status == MessageStatus.Pending && x.Error?.Contains("rate budget", StringComparison.Ordinal) == true), "deferred reply");
            Assert.Empty(Fake.SentTo(visitor.Id));
            var sent = await brevo.WaitForMessagesAsync(posted.ChatId, m => m.Any(x => x.Status == MessageStatus.Sent), "sent after the reset");
            Assert.Null(sent[0].Error);
            Assert.Single(Fake.SentTo(visitor.Id));
            Assert.Single(waiting);
        }
        finally
        {
            Fake.RateLimitPerWindow = null;
        }
    }

    [Fact]
    public async Task A_burst_of_30_replies_to_several_chats_is_paced_by_the_budget_all_delivered_in_order_per_chat()
    {
        var visitors = Enumerable.Range(0, 3).Select(i => Fake.CreateVisitor(displayedName: $"Customer {i}")).ToArray();
        var before = Fake.TooManyRequestsCount;
        Fake.ClearRecorded();
        Fake.RateLimitPerWindow = 10;
        Fake.RateWindow = TimeSpan.FromSeconds(1);
        try
        {
            var clock = Stopwatch.StartNew();
            for (var n = 0; n < 10; n++)
            {
                foreach (var visitor in visitors)
                {
                    await brevo.PostReplyAsync(visitor, $"reply {n:00} to {visitor.DisplayedName}", responseMode: "api");
                }
            }
            await Eventually.True(() => visitors.All(v => Fake.SentTo(v.Id).Count >= 10), TimeSpan.FromSeconds(30), "30 replies at Brevo");
            var elapsed = clock.Elapsed;

            foreach (var visitor in visitors)
            {
                var expected = Enumerable.Range(0, 10).Select(n => $"reply {n:00} to {visitor.DisplayedName}");
                Assert.Equal(expected, Fake.SentTo(visitor.Id).Select(s => s.Text));
                var stored = await brevo.WaitForMessagesAsync(BrevoService.ChatIdOf(visitor),
                    m => m.Count == 10 && m.All(x => x.Status == MessageStatus.Sent), "10 sent replies stored");
                Assert.Equal(Fake.SentTo(visitor.Id).Select(s => s.Id), stored.Select(m => m.PlatformMessageId));
            }
            // Paced by the headers, not by being told off: Brevo never had to answer 429.
            Assert.Equal(before, Fake.TooManyRequestsCount);
            Assert.True(elapsed >= TimeSpan.FromSeconds(2), $"30 sends at 10/s took {elapsed}");
            TestContext.Current.TestOutputHelper?.WriteLine($"30 replies to 3 chats at 10 requests/s: {elapsed.TotalSeconds:0.00} s");
        }
        finally
        {
            Fake.RateLimitPerWindow = null;
        }
    }

    private async Task SpendBudgetAsync()
    {
        for (var i = 0; i < Fake.RateLimitPerWindow; i++)
        {
            await PingAsync();
        }
    }

    private async Task PingAsync()
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

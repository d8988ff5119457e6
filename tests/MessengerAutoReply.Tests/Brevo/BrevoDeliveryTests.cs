using System.Net.Http.Json;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Fakes.Brevo;
using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.Brevo;

/// <summary>Service → Brevo: replies through the agent API, its errors and its account-wide rate budget.</summary>
public sealed class BrevoDeliveryTests(BrevoFixture brevo) : IClassFixture<BrevoFixture>
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

        // Every stored part sent (waiting for "at least 3" read the fake while the fourth was still on its way).
        await brevo.WaitForMessagesAsync(posted.ChatId, m => m.Count(x => !x.IsIncoming) >= 3 && m.Where(x => !x.IsIncoming).All(x => x.Status == MessageStatus.Sent), "all parts sent");
        var sent = Fake.SentTo(visitor.Id);
        Assert.True(sent.Count >= 3);
        Assert.All(sent, s => Assert.True(s.Text.Length <= 1000));
        Assert.Equal(text, string.Join(' ', sent.Select(s => s.Text)));
    }
}

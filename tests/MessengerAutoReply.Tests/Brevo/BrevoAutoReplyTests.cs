using MessengerAutoReply.Chats;
using MessengerAutoReply.Fakes.Brevo;
using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.Brevo;

/// <summary>Instagram customers answered by the AI through Brevo: our own echo is never answered, Brevo's budget is kept.</summary>
public sealed class BrevoAutoReplyTests(BrevoAiFixture brevo) : IClassFixture<BrevoAiFixture>
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    private FakeBrevoServer Fake => brevo.Fake;

    private Task<Chat?> ChatOf(FakeBrevoVisitor visitor) =>
        brevo.Service.Grains.GetGrain<IChatGrain>(BrevoFixture.ChatIdOf(visitor)).GetAsync().AsTask();

    [Fact]
    public async Task The_AI_answers_an_Instagram_customer_never_its_own_echo_and_waits_for_Brevos_budget()
    {
        var (first, second) = (Fake.CreateVisitor(displayedName: "Maria K"), Fake.CreateVisitor(displayedName: "Jean P"));
        Fake.ClearRecorded();
        // One request per minute for the whole account: the first answer uses it up.
        Fake.RateLimitPerWindow = 1;
        Fake.RateWindow = TimeSpan.FromMinutes(1);
        var runsBefore = brevo.OpenAI.ResponsesCount;
        var tooManyBefore = Fake.TooManyRequestsCount;
        try
        {
            Assert.Equal(200, await brevo.DeliverAsync(Fake.BuildVisitorTextFragment(first, "Do you ship to Lyon?")));
            var answer = await Fake.WaitForSentAsync(m => m.VisitorId == first.Id, cancellationToken: _ct);
            Assert.Contains("Lyon", answer.Text, StringComparison.Ordinal);
            Assert.Equal("messenger-autoreply", answer.ReceivedFrom);

            // Brevo posts our reply back as an agent message. Its webhook is answered once the chat holds it, and
            // with no quiet period a run it started would be recorded by then: none is.
            await Fake.WaitForWebhookDeliveriesAsync(d => d.IsEcho && d.Succeeded && d.Body.Contains(answer.Id, StringComparison.Ordinal), cancellationToken: _ct);
            Assert.False((await ChatOf(first))!.AiRunning);
            Assert.Equal(runsBefore + 1, brevo.OpenAI.ResponsesCount);

            // The budget is used up (the headers said so): the second customer's answer waits, untold-off.
            Assert.Equal(200, await brevo.DeliverAsync(Fake.BuildVisitorTextFragment(second, "And to Nantes?")));
            await brevo.WaitForMessagesAsync(BrevoFixture.ChatIdOf(second),
                m => m.Any(x => !x.IsIncoming && x.Status == MessageStatus.Pending && x.Error?.Contains("rate budget", StringComparison.Ordinal) == true), "the answer waiting for the budget");
            Assert.Empty(Fake.SentTo(second.Id));

            await brevo.AdvanceUntilAsync(() => Task.FromResult(Fake.SentTo(second.Id).Count == 1), "the second answer after the reset", TimeSpan.FromSeconds(5));
            Assert.Contains("Nantes", Fake.SentTo(second.Id)[0].Text, StringComparison.Ordinal);
            await Fake.WaitForWebhookDeliveriesAsync(d => d.IsEcho && d.Succeeded && d.Body.Contains(Fake.SentTo(second.Id)[0].Id, StringComparison.Ordinal), cancellationToken: _ct);
            Assert.False((await ChatOf(second))!.AiRunning);
            Assert.Equal(runsBefore + 2, brevo.OpenAI.ResponsesCount);
            Assert.Equal(tooManyBefore, Fake.TooManyRequestsCount);
            Assert.Single(Fake.SentTo(first.Id));
        }
        finally
        {
            brevo.Clock.Advance(TimeSpan.FromHours(1));
            Fake.RateLimitPerWindow = 100;
            Fake.RateWindow = TimeSpan.FromHours(1);
        }
    }
}

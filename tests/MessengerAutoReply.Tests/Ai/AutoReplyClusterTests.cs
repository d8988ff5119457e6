using MessengerAutoReply.Chats;
using MessengerAutoReply.Fakes.OpenAI;
using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.Ai;

public sealed class AutoReplyClusterTests(AiChatClusterFixture fixture) : IClassFixture<AiChatClusterFixture>
{
    [Fact]
    public async Task The_silo_hosting_a_chat_dies_during_a_run_and_the_reply_is_delivered_exactly_once()
    {
        fixture.OpenAI.ResponseLatency = TimeSpan.FromSeconds(3);
        var primary = fixture.Cluster.Silos[0].SiloAddress;
        ChatAddress chat;
        Orleans.Runtime.SiloAddress? host;
        var tries = 0;
        do
        {
            chat = AutoReplyFixture.NewChat();
            await fixture.Client.GetGrain<IChatGrain>(chat.ChatId).GetAsync();
            host = fixture.Cluster.TryGetGrainContext(fixture.Client.GetGrain<IChatGrain>(chat.ChatId).GetGrainId(), out var context) ? context.Address.SiloAddress : null;
        }
        while ((host is null || host == primary) && ++tries < 50);
        Assert.NotEqual(primary, host);

        await fixture.Client.GetGrain<IChatGrain>(chat.ChatId).ReceiveAsync(new InboundMessage
        {
            Chat = chat,
            PlatformMessageId = "1",
            Content = "where is my parcel?",
            Timestamp = DateTimeOffset.UtcNow,
        });
        await Eventually.True(() => fixture.OpenAI.ActiveRuns > 0, what: "run in flight");
        await fixture.Cluster.KillSiloAsync(fixture.Cluster.Silos.First(s => s.SiloAddress == host), TestContext.Current.CancellationToken);
        await fixture.Cluster.StartAdditionalSiloAsync();

        await Eventually.True(() => fixture.Gateway.SentTo(chat.ChatId).Count >= 1, TimeSpan.FromSeconds(40), "reply delivered after the silo loss");
        var state = await Eventually.Get(() => fixture.Client.GetGrain<IChatGrain>(chat.ChatId).GetAsync().AsTask(), c => c is { AiRunning: false }, TimeSpan.FromSeconds(20));
        // A chat delivers in order, one message at a time: once a later message is out, a second copy of the
        // reply (if one were queued) would have gone out before it.
        await fixture.Client.GetGrain<IChatGrain>(chat.ChatId).SendAsync(new OutboundRequest
        {
            Text = "marker",
            ResponseMode = ResponseModes.Api,
            DeliveryKey = "marker-" + Guid.NewGuid().ToString("N"),
        });
        await Eventually.True(() => fixture.Gateway.SentTo(chat.ChatId).Any(m => m.Content == "marker"), TimeSpan.FromSeconds(20), "the marker delivered");
        var sent = fixture.Gateway.SentTo(chat.ChatId);
        Assert.Equal(2, sent.Count);
        Assert.Contains("where is my parcel?", sent[0].Content);
        // The resumed run read the conversation first: OpenAI answered once.
        Assert.Equal(1, fixture.OpenAI.GetRunCount(state!.OpenAIThreadId!));
    }
}

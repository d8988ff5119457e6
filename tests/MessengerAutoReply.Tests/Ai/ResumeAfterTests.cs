using System.Net;
using System.Net.Http.Json;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.Ai;

public sealed class ResumeAfterTests(ResumeAfterFixture fixture) : IClassFixture<ResumeAfterFixture>
{
    [Fact]
    public async Task A_taken_over_chat_goes_back_to_the_AI_after_the_configured_quiet_time()
    {
        var ct = TestContext.Current.CancellationToken;
        var chat = AutoReplyFixture.NewChat();
        await fixture.Say(chat, "hello");
        await Eventually.True(() => fixture.RepliesTo(chat).Count == 1, what: "AI answers first");

        using var human = await fixture.Service.Client.PostAsJsonAsync("/api/messages", new { chatId = chat.ChatId, text = "A person here." }, ct);
        Assert.Equal(HttpStatusCode.Accepted, human.StatusCode);
        await fixture.Say(chat, "ok, one more question");
        fixture.Clock.Advance(TimeSpan.FromMinutes(119));
        // Woken as the sweep would: a hand-back that were due would happen (and start its run) inside this call.
        await fixture.Grain(chat).WakeAsync();
        var chatState = (await fixture.Grain(chat).GetAsync())!;
        Assert.False(chatState.AutoMode);
        Assert.False(chatState.AiRunning);
        Assert.Equal(2, fixture.RepliesTo(chat).Count);

        fixture.Clock.Advance(TimeSpan.FromMinutes(2));
        await Eventually.True(() => fixture.RepliesTo(chat).Count == 3, TimeSpan.FromSeconds(15), "answered after the hand-back");
        Assert.Contains("one more question", fixture.RepliesTo(chat)[2].Content);
        Assert.True((await fixture.Service.Grains.GetGrain<IChatGrain>(chat.ChatId).GetAsync())!.AutoMode);
    }
}

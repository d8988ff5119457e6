using System.Net;
using System.Net.Http.Json;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.Ai;

public sealed class TakeoverOffTests(TakeoverOffFixture fixture) : IClassFixture<TakeoverOffFixture>
{
    [Fact]
    public async Task An_operator_message_leaves_autoMode_on_and_the_next_customer_message_is_answered()
    {
        var ct = TestContext.Current.CancellationToken;
        var chat = AutoReplyFixture.NewChat();
        await fixture.Say(chat, "first");
        await Eventually.True(() => fixture.RepliesTo(chat).Count == 1, what: "the AI answers first");

        using var human = await fixture.Service.Client.PostAsJsonAsync("/api/messages",
            new { chatId = chat.ChatId, text = "Anna here, adding a detail.", senderName = "Anna" }, ct);
        Assert.Equal(HttpStatusCode.Accepted, human.StatusCode);
        Assert.True((await fixture.Service.Grains.GetGrain<IChatGrain>(chat.ChatId).GetAsync())!.AutoMode);

        await fixture.Say(chat, "and what about Sundays?");
        await Eventually.True(() => fixture.RepliesTo(chat).Count == 3, what: "the AI answers after the operator's message");
        Assert.Contains("Sundays", fixture.RepliesTo(chat)[2].Content);
    }
}

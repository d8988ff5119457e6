using MessengerAutoReply.Chats;
using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.Ai;

/// <summary>
/// A run keeps the conversation it creates before it asks for an answer in it: a run that dies in between (a
/// crash, a silo lost) is resumed in that conversation, which may hold the answer, instead of a new one.
/// </summary>
public sealed class ConversationIdTests(AutoReplyFixture fixture) : IClassFixture<AutoReplyFixture>
{
    [Fact]
    public async Task The_new_conversation_is_stored_before_the_answer_is_asked_for()
    {
        fixture.OpenAI.ResponseLatency = TimeSpan.FromSeconds(3);
        try
        {
            var chat = AutoReplyFixture.NewChat();
            await fixture.Say(chat, "hello");
            await Eventually.True(() => fixture.OpenAI.ActiveRuns > 0, what: "the response asked for");

            var stored = await fixture.Service.Grains.GetGrain<IChatGrain>(chat.ChatId).GetAsync();
            Assert.StartsWith("conv_", stored!.OpenAIThreadId);
            Assert.True(stored.AiRunning);
            Assert.Empty(fixture.RepliesTo(chat));

            await Eventually.True(() => fixture.RepliesTo(chat).Count == 1, TimeSpan.FromSeconds(20), "the answer");
            var after = await fixture.Service.Grains.GetGrain<IChatGrain>(chat.ChatId).GetAsync();
            Assert.Equal(stored.OpenAIThreadId, after!.OpenAIThreadId);
        }
        finally
        {
            fixture.OpenAI.ResponseLatency = TimeSpan.Zero;
        }
    }
}

using MessengerAutoReply.Chats;
using MessengerAutoReply.Fakes.OpenAI;
using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.Ai;

public sealed class AiChatClusterFixture(RedisFixture redis) : ChatClusterFixture(redis)
{
    public FakeOpenAIServer OpenAI { get; private set; } = null!;

    protected override async Task<IDictionary<string, string?>> ExtraSettingsAsync()
    {
        OpenAI = await FakeOpenAIServer.StartAsync();
        OpenAI.AcceptAnyModel = true;
        return new Dictionary<string, string?>
        {
            ["OPENAI_API_KEY"] = "sk-fake-test",
            ["OPENAI_BASE_URL"] = OpenAI.ApiEndpoint.ToString(),
            ["REPLY_DEBOUNCE_MS"] = "0",
            ["OPENAI_RETRY_BASE"] = "200ms",
            ["TYPING_INTERVAL"] = "200ms",
        };
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await OpenAI.DisposeAsync();
    }
}

using MessengerAutoReply.Fakes.OpenAI;

namespace MessengerAutoReply.Tests.Brevo;

/// <summary>Instagram through Brevo with the AI on (the OpenAI fake), on the fake clock of <see cref="BrevoRateLimitFixture"/>.</summary>
public sealed class BrevoAiFixture : BrevoRateLimitFixture
{
    public FakeOpenAIServer OpenAI { get; private set; } = null!;

    protected override async Task<Dictionary<string, string?>> SettingsAsync()
    {
        OpenAI = await FakeOpenAIServer.StartAsync();
        OpenAI.AcceptAnyModel = true;
        return new Dictionary<string, string?>
        {
            ["OPENAI_API_KEY"] = "sk-fake-test",
            ["OPENAI_BASE_URL"] = OpenAI.ApiEndpoint.ToString(),
            ["OPENAI_MODEL"] = "gpt-test",
            // No quiet period: a run that a message starts is recorded before the message's webhook is answered.
            ["REPLY_DEBOUNCE_MS"] = "0",
        };
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await OpenAI.DisposeAsync();
    }
}

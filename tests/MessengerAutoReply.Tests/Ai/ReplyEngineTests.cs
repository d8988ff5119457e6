using MessengerAutoReply.Ai;
using MessengerAutoReply.Fakes.OpenAI;
using MessengerAutoReply.Hosting;
using Microsoft.Extensions.Configuration;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace MessengerAutoReply.Tests.Ai;

/// <summary>The engine alone, through the real OpenAI SDK against the fake.</summary>
public sealed class ReplyEngineTests : IAsyncLifetime
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;
    private static readonly ServiceProvider Meters = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private FakeOpenAIServer _openAI = null!;

    public async ValueTask InitializeAsync()
    {
        _openAI = await FakeOpenAIServer.StartAsync(cancellationToken: _ct);
        _openAI.AcceptAnyModel = true;
    }

    public async ValueTask DisposeAsync() => await _openAI.DisposeAsync();

    private OpenAIReplyEngine Engine(params (string Key, string Value)[] settings)
    {
        var values = new Dictionary<string, string?>
        {
            ["OPENAI_API_KEY"] = "sk-fake-test",
            ["OPENAI_BASE_URL"] = _openAI.ApiEndpoint.ToString(),
            ["OPENAI_RETRY_BASE"] = "50ms",
        };
        foreach (var (key, value) in settings)
        {
            values[key] = value;
        }
        var read = new SettingsReader(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
        var options = AiOptions.Load(read);
        Assert.Empty(read.Errors);
        return new OpenAIReplyEngine(options, TimeProvider.System, NullLogger<OpenAIReplyEngine>.Instance, Meters.GetRequiredService<IMeterFactory>());
    }

    [Fact]
    public async Task A_dead_assistants_thread_is_replaced_by_a_conversation_seeded_with_the_history()
    {
        var outcome = await Engine().AnswerAsync(new ReplyRequest
        {
            ChatId = "chat1",
            RunId = "run1",
            ConversationId = "thread_abc123",
            Inputs = ["And the price?"],
            History = [new HistoryItem(true, "Do you sell bikes?"), new HistoryItem(false, "Yes, city bikes.")],
        }, _ct);

        Assert.True(outcome.Succeeded, outcome.Error);
        Assert.StartsWith("conv_", outcome.ConversationId);
        var items = _openAI.GetConversationItems(outcome.ConversationId!);
        Assert.Contains(items, i => i.Role == "user" && i.Text.Contains("Do you sell bikes?", StringComparison.Ordinal));
        Assert.Contains(items, i => i.Role == "assistant" && i.Text.Contains("Yes, city bikes.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_resumed_run_uses_the_answer_the_conversation_already_has()
    {
        var engine = Engine();
        var first = await engine.AnswerAsync(new ReplyRequest { ChatId = "c", RunId = "r", Inputs = ["hello"] }, _ct);
        Assert.True(first.Succeeded);
        var runs = _openAI.GetRunCount(first.ConversationId!);

        var resumed = await engine.AnswerAsync(new ReplyRequest { ChatId = "c", RunId = "r", ConversationId = first.ConversationId, Inputs = ["hello"], Resume = true }, _ct);
        Assert.Equal(first.Text, resumed.Text);
        Assert.Equal(runs, _openAI.GetRunCount(first.ConversationId!));
    }

    [Fact]
    public async Task Chat_style_sends_instructions_and_history_itself()
    {
        var engine = Engine(("OPENAI_API_STYLE", "chat"), ("OPENAI_INSTRUCTIONS", "You sell bikes."));
        var outcome = await engine.AnswerAsync(new ReplyRequest
        {
            ChatId = "c",
            RunId = "r",
            Inputs = ["price?"],
            History = [new HistoryItem(true, "Do you sell bikes?")],
        }, _ct);

        Assert.True(outcome.Succeeded, outcome.Error);
        Assert.Equal(1, _openAI.ChatCompletionsCount);
        Assert.Equal(0, _openAI.ResponsesCount);
        var body = _openAI.RecordedRequests.Single(r => r.Endpoint == FakeOpenAIEndpoint.ChatCompletions).RawBody!;
        Assert.Contains("You sell bikes.", body);
        Assert.Contains("Do you sell bikes?", body);
    }

    [Fact]
    public async Task A_wrong_key_fails_the_run_without_retries_and_names_the_variable()
    {
        _openAI.RemoveApiKey("sk-fake-test");
        var outcome = await Engine().AnswerAsync(new ReplyRequest { ChatId = "c", RunId = "r", Inputs = ["hi"] }, _ct);
        Assert.False(outcome.Succeeded);
        Assert.Contains("OPENAI_API_KEY", outcome.Error);
        Assert.Equal(1, _openAI.CountRequests(FakeOpenAIEndpoint.Conversations));
    }

    [Fact]
    public async Task Instructions_can_come_from_a_file_and_a_missing_file_is_a_one_line_error()
    {
        var path = Path.GetTempFileName();
        await File.WriteAllTextAsync(path, "Be kind.", _ct);
        var read = new SettingsReader(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["OPENAI_INSTRUCTIONS"] = "@" + path }).Build());
        Assert.Equal("Be kind.", AiOptions.Load(read).Instructions);
        File.Delete(path);

        var missing = new SettingsReader(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["OPENAI_INSTRUCTIONS"] = "@/nope/instructions.txt" }).Build());
        AiOptions.Load(missing);
        Assert.StartsWith("OPENAI_INSTRUCTIONS:", Assert.Single(missing.Errors));
    }
}

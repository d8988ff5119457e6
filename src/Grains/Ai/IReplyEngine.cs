using MessengerAutoReply.Media;

namespace MessengerAutoReply.Ai;

/// <summary>
/// Answers a chat, transcribes voice and describes images. The chat grain sees only this; the OpenAI SDK,
/// retries and the conversation bookkeeping stay behind it.
/// </summary>
public interface IReplyEngine
{
    /// <summary>Runs one turn. Never throws for an API failure: the outcome says what happened.</summary>
    Task<ReplyOutcome> AnswerAsync(ReplyRequest request, CancellationToken cancellationToken);

    /// <summary>The transcript, or null when the audio cannot be transcribed (too long, refused).</summary>
    Task<string?> TranscribeAsync(MediaContent audio, CancellationToken cancellationToken);

    /// <summary>A short description of the image for operators and the assistant.</summary>
    Task<string?> DescribeAsync(MediaContent image, string? caption, CancellationToken cancellationToken);
}

/// <summary>What one run answers: the customer's messages since the last answer, as text.</summary>
public sealed record ReplyRequest
{
    public required string ChatId { get; init; }
    public required string RunId { get; init; }
    /// <summary>The chat's <c>openAIThreadId</c>: a conversation id, a dead <c>thread_…</c> id, or null.</summary>
    public string? ConversationId { get; init; }
    /// <summary>The customer's messages this run answers, oldest first, already transcribed/described.</summary>
    public required IReadOnlyList<string> Inputs { get; init; }
    /// <summary>Recent history before these inputs (for stateless servers and for seeding a new conversation).</summary>
    public IReadOnlyList<HistoryItem> History { get; init; } = [];
    /// <summary>This run was interrupted (crash, silo loss): look for an answer that already exists first.</summary>
    public bool Resume { get; init; }
    /// <summary>
    /// Called with a new conversation's id before the first response is asked for in it, so the chat keeps the
    /// id even if the run dies before it reports (a resumed run then reads that conversation).
    /// </summary>
    public Func<string, Task>? ConversationStarted { get; init; }
}

public sealed record HistoryItem(bool FromCustomer, string Text);

[GenerateSerializer, Immutable, Alias("MessengerAutoReply.ReplyOutcome")]
public sealed record ReplyOutcome
{
    [Id(0)] public string? Text { get; init; }
    [Id(1)] public string? ConversationId { get; init; }
    [Id(2)] public string? Error { get; init; }
    [Id(3)] public long InputTokens { get; init; }
    [Id(4)] public long OutputTokens { get; init; }

    public bool Succeeded => Text is not null;

    public static ReplyOutcome Failure(string error, string? conversationId = null) => new() { Error = error, ConversationId = conversationId };
}

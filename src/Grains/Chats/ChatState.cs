namespace MessengerAutoReply.Chats;

/// <summary>
/// Everything a chat must not lose: its record, what it has seen (for dedup), replies not yet delivered and
/// archive writes not yet flushed.
/// </summary>
[GenerateSerializer, Alias("MessengerAutoReply.ChatState")]
public sealed class ChatState
{
    [Id(0)] public Chat? Chat { get; set; }

    /// <summary>Ids of recently stored messages, oldest first; bounded.</summary>
    [Id(1)] public List<string> SeenMessageIds { get; set; } = [];

    /// <summary>The latest messages in full (edits, delivery updates, AI context); bounded.</summary>
    [Id(2)] public List<ChatMessage> Recent { get; set; } = [];

    /// <summary>Replies stored as pending and not yet sent or failed, in send order.</summary>
    [Id(3)] public List<PendingDelivery> Outbox { get; set; } = [];

    /// <summary>Archive upserts not yet confirmed, in order.</summary>
    [Id(4)] public List<ArchiveOp> ArchiveOutbox { get; set; } = [];

    [Id(5)] public long NextArchiveSequence { get; set; } = 1;

    /// <summary>Files of accepted messages still to fetch into the media store, in order.</summary>
    [Id(6)] public List<MediaJob> MediaQueue { get; set; } = [];

    /// <summary>Customer messages waiting for an AI answer (the next run answers all of them together).</summary>
    [Id(7)] public List<string> AwaitingAnswer { get; set; } = [];

    /// <summary>The AI run in flight, if any: at most one per chat, resumed after a crash.</summary>
    [Id(8)] public AiRun? Run { get; set; }

    /// <summary>When an operator last took the chat over (for AUTO_MODE_RESUME_AFTER).</summary>
    [Id(9)] public DateTimeOffset? TakenOverAt { get; set; }

    /// <summary>Customer messages whose run failed: the next run answers them too.</summary>
    [Id(10)] public List<string> Unanswered { get; set; } = [];

    /// <summary>When the chat's last reply went out: the platform's per-chat limit counts from it on any silo (decision 10).</summary>
    [Id(100)] public DateTimeOffset? LastSentAt { get; set; }
}

[GenerateSerializer, Immutable, Alias("MessengerAutoReply.AiRun")]
public sealed record AiRun(
    [property: Id(0)] string RunId,
    [property: Id(1)] IReadOnlyList<string> MessageIds,
    [property: Id(2)] IReadOnlyList<string> Inputs,
    [property: Id(3)] DateTimeOffset StartedAt);

[GenerateSerializer, Immutable, Alias("MessengerAutoReply.MediaJob")]
public sealed record MediaJob(
    [property: Id(0)] string MessageId,
    [property: Id(1)] Media.MediaRef Media,
    [property: Id(2)] int Attempts,
    [property: Id(3)] DateTimeOffset NotBefore);

[GenerateSerializer, Immutable, Alias("MessengerAutoReply.PendingDelivery")]
public sealed record PendingDelivery(
    [property: Id(0)] string MessageId,
    [property: Id(1)] int Attempts,
    [property: Id(2)] DateTimeOffset NotBefore);

[GenerateSerializer, Immutable, Alias("MessengerAutoReply.ArchiveOp")]
public sealed record ArchiveOp(
    [property: Id(0)] long Sequence,
    [property: Id(1)] Chat? Chat,
    [property: Id(2)] ChatMessage? Message);

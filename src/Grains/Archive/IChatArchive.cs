using MessengerAutoReply.Chats;

namespace MessengerAutoReply.Archive;

/// <summary>
/// Where history lives for people and other systems (SQLite embedded, PocketBase when configured). Grains
/// write through to it; the GET routes read from it. Every write is an idempotent upsert by id.
/// </summary>
public interface IChatArchive
{
    Task UpsertChatAsync(Chat chat, CancellationToken cancellationToken);

    Task UpsertMessageAsync(ChatMessage message, CancellationToken cancellationToken);

    Task<Chat?> GetChatAsync(string chatId, CancellationToken cancellationToken);

    Task<Paged<Chat>> ListChatsAsync(ChatQuery query, CancellationToken cancellationToken);

    Task<Paged<ChatMessage>> ListMessagesAsync(string chatId, MessageQuery query, CancellationToken cancellationToken);
}

/// <summary>PocketBase's list envelope, used by every paged answer (decision 11).</summary>
public sealed record Paged<T>(int Page, int PerPage, int TotalItems, int TotalPages, IReadOnlyList<T> Items);

public static class Paged
{
    public static Paged<T> Of<T>(int page, int perPage, int totalItems, IReadOnlyList<T> items) =>
        new(page, perPage, totalItems, totalItems == 0 ? 0 : (totalItems + perPage - 1) / perPage, items);
}

public sealed record ChatQuery(int Page = 1, int PerPage = 50, string? Source = null, string? Search = null);

public sealed record MessageQuery(int Page = 1, int PerPage = 50, bool NewestFirst = false);

/// <summary>The archive could not answer (down, locked): the caller should say 503, not guess.</summary>
public sealed class ArchiveUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The archive answered, and will never take this record as it is (a validation rule the operator added, a
/// unique index it breaks). Retrying cannot help: the write is set aside so the chat's later writes flow.
/// </summary>
public sealed class ArchiveRejectedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// An archive that can write several records in one transaction (one commit instead of one per record). Chat
/// grains flush their outbox through it when the archive offers it; all or nothing, in order.
/// </summary>
public interface IBatchingChatArchive : IChatArchive
{
    Task UpsertBatchAsync(IReadOnlyList<(Chat? Chat, ChatMessage? Message)> records, CancellationToken cancellationToken);
}

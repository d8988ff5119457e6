using MessengerAutoReply.Archive;
using MessengerAutoReply.Chats;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace MessengerAutoReply.Brevo;

/// <summary>Takes Brevo webhooks into the cluster: one call per webhook, answered once every message is durable.</summary>
public interface IBrevoIngressGrain : IGrainWithIntegerKey
{
    Task<BrevoIngressResult> AcceptAsync(BrevoWebhookEvent e);
}

[GenerateSerializer, Immutable, Alias("MessengerAutoReply.Brevo.BrevoIngressResult")]
public sealed record BrevoIngressResult([property: Id(0)] int Accepted, [property: Id(1)] int Duplicates);

/// <summary>
/// A stateless worker: it activates on the silo the call arrives at (no directory lookup, several activations
/// under load), and it needs no state of its own because dedup and durability belong to the ChatGrain (by
/// Brevo message id). Normalizing here rather than in the web handler keeps the API host a thin client in
/// cluster mode and puts the per-message calls beside the chat grains.
/// A chat remembers the ids of its last <see cref="ChatOptions.DedupWindow"/> messages only, and a
/// <c>conversationTranscript</c> carries the whole conversation: an event with more messages than half that
/// window first drops those the archive already holds (by platform message id), so a long conversation's old
/// messages are not taken (and answered) again; what the archive does not hold yet (it may lag behind the
/// chat) is still in the chat's window, and the chat's own dedup catches it.
/// </summary>
[StatelessWorker]
public sealed partial class BrevoIngressGrain(IOptions<BrevoOptions> options, IOptions<ChatOptions> chatOptions, IChatArchive archive,
    ILogger<BrevoIngressGrain> logger) : Grain, IBrevoIngressGrain
{
    private const int ArchivePage = 500;

    private static readonly HashSet<string> KnownSources = [Sources.Instagram];
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> LoggedSources = new();

    public async Task<BrevoIngressResult> AcceptAsync(BrevoWebhookEvent e)
    {
        if (e.Visitor is null)
        {
            return new BrevoIngressResult(0, 0);
        }
        var messages = BrevoNormalizer.Normalize(e, options.Value.ReceivedFrom);
        if (messages.Count == 0)
        {
            return new BrevoIngressResult(0, 0);
        }
        var source = messages[0].Chat.Source;
        if (!KnownSources.Contains(source) && LoggedSources.TryAdd(source, true))
        {
            LogOtherChannel(e.Visitor.Source ?? "(none)", source);
        }
        var chatId = messages[0].Chat.ChatId;
        var known = 0;
        if (messages.Count > chatOptions.Value.DedupWindow / 2)
        {
            var before = messages.Count;
            messages = await WithoutArchivedAsync(chatId, messages);
            known = before - messages.Count;
            LogLongEvent(e.EventName, chatId, before, chatOptions.Value.DedupWindow, known);
        }
        var chat = GrainFactory.GetGrain<IChatGrain>(chatId);
        int accepted = 0, duplicates = known;
        // One chat, in order: the chat grain's turn order is the conversation's order.
        foreach (var message in messages)
        {
            var result = await chat.ReceiveAsync(message);
            if (result.Outcome == ReceiveOutcome.Duplicate)
            {
                duplicates++;
            }
            else
            {
                accepted++;
            }
        }
        return new BrevoIngressResult(accepted, duplicates);
    }

    /// <summary>
    /// The messages whose platform id the archive does not hold for this chat. Reads the chat's archived messages
    /// newest first, back to the event's oldest timestamp. An archive that cannot be read fails the webhook
    /// (Brevo retries it) rather than guessing: taking everything would answer old messages again.
    /// </summary>
    private async Task<IReadOnlyList<InboundMessage>> WithoutArchivedAsync(string chatId, IReadOnlyList<InboundMessage> messages)
    {
        var oldest = messages.Min(m => m.Timestamp);
        var archived = new HashSet<string>(StringComparer.Ordinal);
        for (var page = 1; ; page++)
        {
            var items = (await archive.ListMessagesAsync(chatId, new MessageQuery(page, ArchivePage, NewestFirst: true), CancellationToken.None)).Items;
            foreach (var item in items)
            {
                archived.Add(item.PlatformMessageId);
            }
            if (items.Count < ArchivePage || items[^1].Timestamp < oldest)
            {
                break;
            }
        }
        return archived.Count == 0 ? messages : [.. messages.Where(m => !archived.Contains(m.PlatformMessageId))];
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Brevo {EventName} for chat {ChatId} carries {Count} messages, more than half of what a chat remembers ({Window}): {Known} already archived were skipped")]
    private partial void LogLongEvent(string eventName, string chatId, int count, int window, int known);

    [LoggerMessage(Level = LogLevel.Information, Message = "Brevo visitor from channel '{RawSource}': chats get source '{Source}' (logged once per channel)")]
    private partial void LogOtherChannel(string rawSource, string source);
}

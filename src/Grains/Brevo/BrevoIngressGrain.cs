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
/// </summary>
[StatelessWorker]
public sealed partial class BrevoIngressGrain(IOptions<BrevoOptions> options, ILogger<BrevoIngressGrain> logger) : Grain, IBrevoIngressGrain
{
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
        var chat = GrainFactory.GetGrain<IChatGrain>(messages[0].Chat.ChatId);
        int accepted = 0, duplicates = 0;
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Brevo visitor from channel '{RawSource}': chats get source '{Source}' (logged once per channel)")]
    private partial void LogOtherChannel(string rawSource, string source);
}

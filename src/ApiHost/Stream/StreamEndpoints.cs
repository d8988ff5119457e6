using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;

namespace MessengerAutoReply.ApiHost.Stream;

/// <summary><c>GET /api/stream</c>: chat events as Server-Sent Events, filtered by chatId or source.</summary>
public static class StreamEndpoints
{
    public static RouteGroupBuilder MapStream(this RouteGroupBuilder api)
    {
        api.MapGet("/stream", (HttpContext context, ChatEventHub hub, StreamOptions options, IHostApplicationLifetime lifetime) =>
        {
            var query = context.Request.Query;
            string? lastEventId = context.Request.Headers["Last-Event-ID"];
            if (string.IsNullOrEmpty(lastEventId))
            {
                lastEventId = query["lastEventId"];
            }
            var chatId = NullIfEmpty(query["chatId"]);
            var source = NullIfEmpty(query["source"])?.ToLowerInvariant();
            context.Response.Headers["X-Accel-Buffering"] = "no";
            // Subscribed before anything is sent: once the client sees the headers, every event published from
            // then on reaches it (no window between "connected" and "subscribed"). Disposed with the response
            // even if the stream never starts.
            var subscription = hub.Subscribe(chatId, source, lastEventId);
            context.Response.RegisterForDispose(subscription);
            return TypedResults.ServerSentEvents(
                Events(context, subscription, options, lifetime.ApplicationStopping));
        }).WithMetadata(Api.QueryApiKeyAllowed.Instance);
        return api;
    }

    private static async IAsyncEnumerable<SseItem<string>> Events(
        HttpContext context,
        ChatEventHub.Subscription subscription,
        StreamOptions options,
        CancellationToken stopping,
        [EnumeratorCancellation] CancellationToken enumeration = default)
    {
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping, enumeration);
        var ct = ended.Token;
        // Headers go out now (the subscription already exists), so a browser's EventSource opens at once (orleans-notes, 3).
        await context.Response.Body.FlushAsync(ct);
        using var owned = subscription;
        if (subscription.Resync)
        {
            yield return new SseItem<string>("{}", "resync");
        }
        foreach (var envelope in subscription.Replay)
        {
            yield return Item(envelope);
        }
        while (!ct.IsCancellationRequested)
        {
            var ping = false;
            var more = false;
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                wait.CancelAfter(options.PingInterval);
                try
                {
                    more = await subscription.Reader.WaitToReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    ping = true;
                }
                catch (OperationCanceledException)
                {
                    yield break;
                }
            }
            if (ping)
            {
                // An operator disabled (or signed out everywhere) meanwhile loses the stream at the next ping:
                // the reconnect is refused and the console goes back to its sign-in form.
                if (!await Operators.OpenSessions.StillValidAsync(context, ct))
                {
                    yield break;
                }
                yield return new SseItem<string>("", "ping");
                continue;
            }
            if (!more)
            {
                // Completed by the hub: shutdown, or this client fell too far behind (it will reconnect).
                yield break;
            }
            while (subscription.Reader.TryRead(out var envelope))
            {
                yield return Item(envelope);
            }
        }
    }

    private static SseItem<string> Item(StreamEnvelope envelope) =>
        envelope.IsResync ? new SseItem<string>("{}", "resync") : new(envelope.Data, "update") { EventId = envelope.EventId };

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Fakes.OpenAI;

namespace MessengerAutoReply.Bench;

public sealed record IngestFigures(LoadResult Saturated, LoadResult HalfRate, Percentiles SseLag, Percentiles SseLagSaturated, int SseMissing);

public sealed record FanOutFigures(int Subscribers, int Messages, long Delivered, long Expected, double EventsPerSecond, Percentiles Lag, int Dropped)
{
    public long Events { get; init; }
    /// <summary>Messages per second the round was sent at.</summary>
    public double RatePerSecond { get; init; }
    /// <summary>With a ceiling probe: messages/s every subscriber could take in when sent far faster.</summary>
    public double CeilingMessagesPerSecond { get; init; } = double.NaN;
}

public sealed record AutoReplyFigures(int Replies, double RepliesPerSecond, Percentiles Overhead, Percentiles AiTime, int MaxParallelRuns, int Unanswered, int Answered);

public sealed record OutboundFigures(int Replies, int Chats, int TooManyRequests, double DrainSeconds, double MinimumSeconds, int Sent);

public sealed record ScaleFigures(int Chats, LoadResult Activation, long RssBefore, long RssAfter, double ArchiveCatchUpSeconds, Percentiles ListFirstPage, Percentiles ListSearch, int Listed);

/// <summary>The five scenarios of issue #9, each driven through the service's public surface (webhook, REST, SSE).</summary>
public static class Scenarios
{
    private static string ChatIdOf(long platformChatId) =>
        ChatIds.ForChat(Sources.Telegram, platformChatId.ToString(CultureInfo.InvariantCulture));

    // ------------------------------------------------------------------ 1. ingest

    /// <summary>
    /// Webhook updates spread over N chats as fast as the service takes them (closed loop), sustained: a warm-up
    /// of the same load on chats of its own, then <see cref="Profile.IngestDuration"/> measured. Then the same
    /// chats at half that rate (open loop) for the ack latency an operator sees below saturation. One SSE
    /// subscriber measures accepted → event seen.
    /// </summary>
    public static async Task<IngestFigures> IngestAsync(BenchContext ctx, ServiceUnderTest service, string tag, long chatBase, TimeSpan? duration = null)
    {
        var p = duration is { } d ? ctx.Profile with { IngestDuration = d } : ctx.Profile;
        await using var subscriber = await SseSubscriber.ConnectAsync(ctx.Client.Http, service);

        // JIT, tiered compilation and connection warm-up on chats of their own: the measured chats still pay their activation.
        var warm = await ctx.Client.RunAsync($"{tag} warm-up", TimeBoundedCount(p.WarmupDuration), p.IngestConcurrency, p.WarmupDuration,
            i => service.Webhook(ctx.TextUpdate(chatBase + 500_000 + i % p.IngestChats, $"{tag}w{i:D7}")));
        _ = warm; // a warm-up on a cold or busy machine may end before its first answer: the measured run below must succeed

        // Time-bounded: the count is only a ceiling no run reaches; the bodies are built as they are sent.
        var count = TimeBoundedCount(p.IngestDuration);
        var acks = new double[count];
        var saturated = await ctx.Client.RunAsync($"{tag} ingest", count, p.IngestConcurrency, p.IngestDuration,
            i => service.Webhook(ctx.TextUpdate(chatBase + i % p.IngestChats, $"{tag}s{i:D7}")), onSuccess: i => acks[i] = Clock.NowMs());
        EnsureAnswered(saturated);
        var tokens = new string[count];
        for (var i = 0; i < count; i++)
        {
            tokens[i] = acks[i] > 0 ? $"{tag}s{i:D7}" : "";
        }
        await WaitSeenAsync(subscriber, tokens.Where((_, i) => acks[i] > 0), p.WaitTimeout);
        var lagSaturated = Lags(subscriber, tokens, acks, out _);

        var rate = Math.Max(1, saturated.RatePerSecond / 2);
        var halfCount = Math.Max(10, (int)(rate * p.HalfRateDuration.TotalSeconds));
        var halfTokens = new string[halfCount];
        var halfBodies = new byte[halfCount][];
        for (var i = 0; i < halfCount; i++)
        {
            halfTokens[i] = $"{tag}h{i:D7}";
            halfBodies[i] = ctx.TextUpdate(chatBase + i % p.IngestChats, halfTokens[i]);
        }
        var halfAcks = new double[halfCount];
        var half = await ctx.Client.RunAsync($"{tag} ingest at half rate", halfCount, p.IngestConcurrency,
            TimeSpan.FromSeconds(halfCount / rate * 2 + 5), i => service.Webhook(halfBodies[i]), ratePerSecond: rate,
            onSuccess: i => halfAcks[i] = Clock.NowMs());
        EnsureAnswered(half);
        await WaitSeenAsync(subscriber, halfTokens.Where((_, i) => halfAcks[i] > 0), p.WaitTimeout);
        var lag = Lags(subscriber, halfTokens, halfAcks, out var missing);
        return new IngestFigures(saturated, half, lag, lagSaturated, missing);
    }

    /// <summary>A request count no run of that length reaches on this machine (50,000/s), so the duration ends it.</summary>
    public static int TimeBoundedCount(TimeSpan duration) => (int)Math.Clamp(duration.TotalSeconds * 50_000, 1_000, 5_000_000);

    private static void EnsureAnswered(LoadResult result)
    {
        if (result.Ok == 0)
        {
            throw new InvalidOperationException($"{result.Name}: no request succeeded ({result.Errors} failed; first: {result.FirstError})");
        }
    }

    private static async Task WaitSeenAsync(SseSubscriber subscriber, IEnumerable<string> tokens, TimeSpan timeout)
    {
        var wanted = tokens.ToList();
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!subscriber.Dropped && wanted.Any(t => !subscriber.Seen.ContainsKey(t)) && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(20);
        }
    }

    private static Percentiles Lags(SseSubscriber subscriber, string[] tokens, double[] acks, out int missing)
    {
        var lags = new List<double>(tokens.Length);
        missing = 0;
        for (var i = 0; i < tokens.Length; i++)
        {
            if (acks[i] <= 0)
            {
                continue;
            }
            if (subscriber.Seen.TryGetValue(tokens[i], out var seen))
            {
                // The event may overtake the ack on the wire: the event cannot precede acceptance, so that is 0.
                lags.Add(Math.Max(0, seen - acks[i]));
            }
            else
            {
                missing++;
            }
        }
        return Percentiles.Of(lags);
    }

    // ------------------------------------------------------------------ 4. fan-out

    /// <summary>
    /// n SSE subscribers on all Telegram events; messages arrive through the webhook at a fixed moderate rate, so
    /// what is measured is delivery to n clients, not ingest. With <paramref name="atHalfCeiling"/>, a first round
    /// sent far faster than the subscribers can read finds the load client's ceiling (events/s it takes in), and
    /// the measured round runs at half of it: lag then says what the service adds, not the client's queue.
    /// </summary>
    public static async Task<FanOutFigures> FanOutAsync(BenchContext ctx, ServiceUnderTest service, int subscribers, long chatBase, bool atHalfCeiling = false)
    {
        var p = ctx.Profile;
        var subs = new List<SseSubscriber>(subscribers);
        try
        {
            for (var batch = 0; batch < subscribers; batch += 50)
            {
                var connecting = Enumerable.Range(batch, Math.Min(50, subscribers - batch))
                    .Select(_ => SseSubscriber.ConnectAsync(ctx.Client.Http, service));
                subs.AddRange(await Task.WhenAll(connecting));
            }
            // Every stream is registered once each has seen a message sent after it connected.
            var warm = $"fo{subscribers:D5}warm";
            using (var response = await ctx.Client.Http.SendAsync(service.Webhook(ctx.TextUpdate(chatBase, warm))))
            {
                response.EnsureSuccessStatusCode();
            }
            foreach (var sub in subs)
            {
                await WaitSeenAsync(sub, [warm], p.WaitTimeout);
            }
            if (!atHalfCeiling)
            {
                return await FanOutRoundAsync(ctx, service, subs, chatBase, $"fo{subscribers:D5}m", p.FanOutRate);
            }
            var probe = await FanOutRoundAsync(ctx, service, subs, chatBase, $"fp{subscribers:D5}m", 1_000);
            var probeSeconds = probe.Events / Math.Max(1, probe.EventsPerSecond);
            var ceiling = probe.Delivered / (double)subscribers / Math.Max(0.001, probeSeconds);
            var measured = await FanOutRoundAsync(ctx, service, subs, chatBase, $"fo{subscribers:D5}m", Math.Max(1, ceiling / 2));
            return measured with { CeilingMessagesPerSecond = ceiling };
        }
        finally
        {
            await Task.WhenAll(subs.Select(s => s.DisposeAsync().AsTask()));
        }
    }

    private static async Task<FanOutFigures> FanOutRoundAsync(BenchContext ctx, ServiceUnderTest service, List<SseSubscriber> subs, long chatBase, string prefix, double rate)
    {
        var p = ctx.Profile;
        var subscribers = subs.Count;
        var baseline = subs.Sum(s => (long)s.Events);
        var count = p.FanOutMessages;
        var tokens = Enumerable.Range(0, count).Select(i => $"{prefix}{i:D5}").ToArray();
        var acks = new double[count];
        var started = Clock.NowMs();
        var load = await ctx.Client.RunAsync($"fan-out {subscribers}", count, 8, TimeSpan.FromSeconds(count / rate * 3 + 10),
            i => service.Webhook(ctx.TextUpdate(chatBase + 1 + i % 20, tokens[i])), ratePerSecond: rate,
            onSuccess: i => acks[i] = Clock.NowMs());
        EnsureAnswered(load);
        var acked = tokens.Where((_, i) => acks[i] > 0).ToList();
        foreach (var sub in subs)
        {
            await WaitSeenAsync(sub, acked, p.WaitTimeout);
        }

        var lags = new List<double>(subscribers * count);
        var lastSeen = started;
        long seenMessages = 0;
        foreach (var sub in subs)
        {
            for (var i = 0; i < count; i++)
            {
                if (acks[i] > 0 && sub.Seen.TryGetValue(tokens[i], out var seen))
                {
                    lags.Add(Math.Max(0, seen - acks[i]));
                    lastSeen = Math.Max(lastSeen, seen);
                    seenMessages++;
                }
            }
        }
        // Events/s counts every event (each message also updates its chat's preview); delivered counts messages.
        var events = subs.Sum(s => (long)s.Events) - baseline;
        var seconds = Math.Max(0.001, (lastSeen - started) / 1000);
        return new FanOutFigures(subscribers, count, seenMessages, (long)acked.Count * subscribers, events / seconds, Percentiles.Of(lags), subs.Count(s => s.Dropped))
        {
            Events = events,
            RatePerSecond = rate,
        };
    }

    // ------------------------------------------------------------------ 2. auto-reply

    /// <summary>
    /// autoMode on, no debounce, the fake AI answering after 500 ms. Conversation chats: a customer writes,
    /// reads the answer, writes again (no sooner than Telegram's 1 message/s per chat would let the answer out):
    /// their replies give the service's own overhead. Burst chats: M messages at once per chat: the runs must
    /// not overlap in a chat, and every message must be answered.
    /// </summary>
    public static async Task<AutoReplyFigures> AutoReplyAsync(BenchContext ctx, ServiceUnderTest service, long chatBase)
    {
        var p = ctx.Profile;
        var answeredAt = new ConcurrentDictionary<string, double>(StringComparer.Ordinal);
        ctx.OpenAI.AnswerFactory = request =>
        {
            var now = Clock.NowMs();
            foreach (var text in request.UserTexts)
            {
                foreach (var token in Tokens(text, "ar"))
                {
                    answeredAt.TryAdd(token, now);
                }
            }
            return FakeOpenAIServer.DefaultAnswer(request);
        };
        ctx.OpenAI.ResponseLatency = TimeSpan.FromMilliseconds(500);

        var conversations = Enumerable.Range(0, p.ConversationChats).Select(i => chatBase + i).ToArray();
        var bursts = Enumerable.Range(0, p.BurstReplyChats).Select(i => chatBase + 10_000 + i).ToArray();

        // Each chat exists with autoMode off (the bench's default); turning it on answers the waiting message.
        var lastReply = new ConcurrentDictionary<long, double>();
        await Parallel.ForEachAsync(conversations.Concat(bursts), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (chat, ct) =>
        {
            var token = $"ar{chat % 100_000:D5}warm";
            using (var response = await ctx.Client.Http.SendAsync(service.Webhook(ctx.TextUpdate(chat, token)), ct))
            {
                response.EnsureSuccessStatusCode();
            }
            using (var response = await ctx.Client.Http.SendAsync(service.Api(HttpMethod.Patch, $"/api/chats/{ChatIdOf(chat)}/autoMode", new JsonObject { ["autoMode"] = true }), ct))
            {
                response.EnsureSuccessStatusCode();
            }
            var sent = await ctx.Telegram.WaitForSentMessageAsync(m => m.ChatId == chat && m.Text?.Contains(token, StringComparison.Ordinal) == true, p.WaitTimeout, ct);
            lastReply[chat] = Clock.Ms(sent.Timestamp);
        });

        var samples = new ConcurrentBag<(string Token, double Ack, double Sent)>();
        var allTokens = new ConcurrentBag<string>();
        var conversationTask = Parallel.ForEachAsync(conversations, new ParallelOptions { MaxDegreeOfParallelism = conversations.Length + 1 }, async (chat, ct) =>
        {
            for (var turn = 0; turn < p.ConversationTurns; turn++)
            {
                var notBefore = lastReply[chat] + 1_200;
                var wait = notBefore - Clock.NowMs();
                if (wait > 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(wait), ct);
                }
                var token = $"ar{chat % 100_000:D5}c{turn:D3}";
                allTokens.Add(token);
                using (var response = await ctx.Client.Http.SendAsync(service.Webhook(ctx.TextUpdate(chat, token)), ct))
                {
                    response.EnsureSuccessStatusCode();
                }
                var ack = Clock.NowMs();
                var sent = await ctx.Telegram.WaitForSentMessageAsync(m => m.ChatId == chat && m.Text?.Contains(token, StringComparison.Ordinal) == true, p.WaitTimeout, ct);
                var sentAt = Clock.Ms(sent.Timestamp);
                samples.Add((token, ack, sentAt));
                lastReply[chat] = sentAt;
            }
        });

        try
        {
            await conversationTask;
        }
        catch (TimeoutException)
        {
            // Counted below as unanswered.
        }

        // Bursts after the conversations: both share the bot's 30 messages/s, and waiting for that budget is
        // pacing by design, not overhead.
        var burstTokens = bursts.SelectMany(chat => Enumerable.Range(0, p.BurstReplyMessages).Select(m => (Chat: chat, Token: $"ar{chat % 100_000:D5}b{m:D3}"))).ToArray();
        foreach (var (_, token) in burstTokens)
        {
            allTokens.Add(token);
        }
        var burstStart = Clock.NowMs();
        var burstLoad = await ctx.Client.RunAsync("auto-reply bursts", burstTokens.Length, 32, p.WaitTimeout,
            i => service.Webhook(ctx.TextUpdate(burstTokens[i].Chat, burstTokens[i].Token)));
        EnsureAnswered(burstLoad);

        var burstChats = bursts.ToHashSet();
        var deadline = Stopwatch.GetTimestamp() + (long)(p.WaitTimeout.TotalSeconds * Stopwatch.Frequency);
        List<string> unanswered;
        while (true)
        {
            var texts = ctx.Telegram.SentMessages.Where(m => m.Text is not null).Select(m => m.Text!).ToList();
            var answered = texts.SelectMany(t => Tokens(t, "ar")).ToHashSet(StringComparer.Ordinal);
            unanswered = [.. allTokens.Where(t => !answered.Contains(t))];
            if (unanswered.Count == 0 || Stopwatch.GetTimestamp() > deadline)
            {
                break;
            }
            await Task.Delay(50);
        }
        var burstReplies = ctx.Telegram.SentMessages.Where(m => burstChats.Contains(m.ChatId) && Clock.Ms(m.Timestamp) >= burstStart).ToList();
        var burstSeconds = burstReplies.Count == 0 ? 0 : (burstReplies.Max(m => Clock.Ms(m.Timestamp)) - burstStart) / 1000;

        // The AI's own time per answer: from the fake receiving the Responses call to it producing the text.
        var requests = ctx.OpenAI.RecordedRequests.Where(r => r.Endpoint == FakeOpenAIEndpoint.Responses && r.Method == "POST" && r.RawBody is not null).ToList();
        var overhead = new List<double>();
        var aiTimes = new List<double>();
        foreach (var (token, ack, sentAt) in samples)
        {
            if (!answeredAt.TryGetValue(token, out var answered))
            {
                continue;
            }
            var received = requests.Where(r => r.RawBody!.Contains(token, StringComparison.Ordinal) && Clock.Ms(r.ReceivedAt) <= answered)
                .Select(r => Clock.Ms(r.ReceivedAt)).DefaultIfEmpty(double.NaN).Max();
            if (double.IsNaN(received))
            {
                continue;
            }
            var ai = answered - received;
            aiTimes.Add(ai);
            overhead.Add(Math.Max(0, sentAt - ack - ai));
        }
        ctx.OpenAI.ResponseLatency = TimeSpan.Zero;
        ctx.OpenAI.AnswerFactory = FakeOpenAIServer.DefaultAnswer;
        return new AutoReplyFigures(
            samples.Count + burstReplies.Count,
            burstSeconds > 0 ? burstReplies.Count / burstSeconds : 0,
            Percentiles.Of(overhead),
            Percentiles.Of(aiTimes),
            ctx.OpenAI.MaxConcurrentRunsPerConversation,
            unanswered.Count,
            allTokens.Count - unanswered.Count);
    }

    /// <summary>Bench tokens (fixed width: prefix, 5 digits, a letter, 3 digits or "warm") found in a text.</summary>
    private static IEnumerable<string> Tokens(string text, string prefix)
    {
        var at = 0;
        while ((at = text.IndexOf(prefix, at, StringComparison.Ordinal)) >= 0)
        {
            var length = prefix.Length + 9;
            if (at + length <= text.Length)
            {
                yield return text.Substring(at, length);
            }
            at += prefix.Length;
        }
    }

    // ------------------------------------------------------------------ 3. outbound bursts

    /// <summary>
    /// Replies through POST /api/messages to many chats at once, the fake enforcing Telegram's flood limits:
    /// how many 429s came back, and how long the queue took against the limits' own minimum.
    /// </summary>
    public static async Task<OutboundFigures> OutboundAsync(BenchContext ctx, ServiceUnderTest service, long chatBase)
    {
        var p = ctx.Profile;
        var total = p.OutboundReplies;
        var chats = p.OutboundChats;
        var tooManyBefore = ctx.Telegram.TooManyRequestsCount;
        var started = Clock.NowMs();
        var load = await ctx.Client.RunAsync("outbound burst", total, 32, p.WaitTimeout, i =>
        {
            var request = service.Api(HttpMethod.Post, "/api/messages", new JsonObject
            {
                ["source"] = "telegram",
                ["platformChatId"] = (chatBase + i % chats).ToString(CultureInfo.InvariantCulture),
                ["text"] = $"ob{i:D6} your order has shipped",
                ["responseMode"] = "api",
            });
            request.Headers.Add("Idempotency-Key", $"bench-outbound-{i}");
            return request;
        });
        EnsureAnswered(load);
        bool IsOurs(Fakes.Telegram.SentMessage m) => m.ChatId >= chatBase && m.ChatId < chatBase + chats && m.Text?.StartsWith("ob", StringComparison.Ordinal) == true;
        var drainLimit = TimeSpan.FromSeconds(total / 30.0 * 3 + 30);
        try
        {
            await ctx.Telegram.WaitForAsync(t => t.SentMessages.Count(IsOurs) >= load.Ok, drainLimit);
        }
        catch (TimeoutException)
        {
            // Reported as fewer sent than asked.
        }
        var sent = ctx.Telegram.SentMessages.Where(IsOurs).ToList();
        var drain = sent.Count == 0 ? double.NaN : (sent.Max(m => Clock.Ms(m.Timestamp)) - started) / 1000;
        var perChat = (int)Math.Ceiling(total / (double)chats);
        var minimum = Math.Max(total / (double)ctx.Telegram.FloodGlobalLimit, (perChat - 1) * ctx.Telegram.FloodPrivateChatWindow.TotalSeconds);
        return new OutboundFigures(total, chats, ctx.Telegram.TooManyRequestsCount - tooManyBefore, drain, minimum, sent.Count);
    }

    // ------------------------------------------------------------------ 5. scale

    /// <summary>
    /// N distinct chats, one message each through the webhook (each an active grain afterwards): the grain
    /// host's resident memory per chat, how long the archive takes to catch up, and how long listing takes.
    /// </summary>
    public static async Task<ScaleFigures> ScaleAsync(BenchContext ctx, ServiceUnderTest service, long chatBase)
    {
        var p = ctx.Profile;
        var count = p.ScaleChats;
        var before = service.GrainHost.ResidentBytes();
        var activation = await ctx.Client.RunAsync("scale: activate chats", count, p.IngestConcurrency, p.WaitTimeout * 4,
            i => service.Webhook(ctx.TextUpdate(chatBase + i, $"sc{i:D7}")));
        EnsureAnswered(activation);
        var caughtUp = Stopwatch.GetTimestamp();
        var activated = Clock.NowMs();
        var deadline = caughtUp + (long)(p.WaitTimeout.TotalSeconds * 4 * Stopwatch.Frequency);
        while (await service.ArchiveBacklogAsync(ctx.Client.Http) > 0 && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(100);
        }
        var catchUp = (Clock.NowMs() - activated) / 1000;
        var after = service.GrainHost.ResidentBytes();

        var listed = 0;
        var firstPage = await TimeAsync(10, async () =>
        {
            using var response = await ctx.Client.Http.SendAsync(service.Api(HttpMethod.Get, "/api/chats?page=1&perPage=50"));
            response.EnsureSuccessStatusCode();
            listed = JsonNode.Parse(await response.Content.ReadAsStringAsync())?["totalItems"]?.GetValue<int>() ?? 0;
        });
        var search = await TimeAsync(10, async () =>
        {
            using var response = await ctx.Client.Http.SendAsync(service.Api(HttpMethod.Get, $"/api/chats?page=1&perPage=50&q=Customer%20{chatBase + count / 2}"));
            response.EnsureSuccessStatusCode();
        });
        return new ScaleFigures(count, activation, before, after, catchUp, firstPage, search, listed);
    }

    private static async Task<Percentiles> TimeAsync(int times, Func<Task> call)
    {
        var samples = new List<double>(times);
        for (var i = 0; i < times; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await call();
            samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        return Percentiles.Of(samples);
    }
}

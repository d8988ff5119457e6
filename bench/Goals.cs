using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using MessengerAutoReply.Chats;
using Microsoft.Data.Sqlite;

namespace MessengerAutoReply.Bench;

public sealed record StateGrowthFigures(long NewChatBytes, long LongChatBytes, int NewChatWrites, int LongChatWrites, int History)
{
    public double Ratio => NewChatBytes > 0 ? LongChatBytes / (double)NewChatBytes : double.NaN;
}

public sealed record ReplyLoopFigures(int Chats, int Replies, double Seconds, Percentiles Latency, int Errors)
{
    public double RepliesPerSecond => Seconds > 0 ? Replies / Seconds : 0;
}

public sealed record ArchiveDrainFigures(int Messages, double IngestSeconds, double DrainSeconds, int BacklogLeft)
{
    /// <summary>Two archive writes per message: the message and its chat's new preview (the definition of issue #9's figure).</summary>
    public double WritesPerSecond => DrainSeconds > 0 ? 2.0 * Messages / DrainSeconds : 0;
}

/// <summary>The figures issue #14 adds: state growth with history, the reply loop's throughput, the archive's drain rate.</summary>
public static partial class Goals
{
    // ------------------------------------------------------------------ bytes written per message

    /// <summary>
    /// Bytes that reach grain storage for one message: in a chat's first message, and in a chat that already
    /// holds <see cref="Profile.StateHistory"/> messages. Read from the embedded default's grains.db beside the
    /// running service (WAL lets a reader in): every write of a row bumps its version and rewrites its data, so a
    /// row's share is (versions written) × (its size); rows the chat adds count with their size. Once every
    /// write the message causes is done (archive report-back included: the backlog is empty and the versions
    /// stay put).
    /// </summary>
    public static async Task<StateGrowthFigures> StateGrowthAsync(BenchContext ctx, ServiceUnderTest service, long chatBase)
    {
        var p = ctx.Profile;
        var database = Path.Combine(service.DataDir, "grains.db");

        var fresh = chatBase;
        var freshBefore = await RowsAsync(database, ChatKey(fresh));
        await SendAsync(ctx, service, fresh, "sg-fresh-0");
        var freshAfter = await SettledRowsAsync(ctx, service, database, ChatKey(fresh));
        var (freshBytes, freshWrites) = Written(freshBefore, freshAfter);

        var longChat = chatBase + 1;
        var history = await ctx.Client.RunAsync("state growth: history", p.StateHistory, 8, p.WaitTimeout,
            i => service.Webhook(ctx.TextUpdate(longChat, $"sg-history-{i:D5}")));
        if (history.Ok < p.StateHistory)
        {
            throw new InvalidOperationException($"state growth: {history.Errors} of {p.StateHistory} history messages failed; first: {history.FirstError}");
        }
        var longBefore = await SettledRowsAsync(ctx, service, database, ChatKey(longChat));
        await SendAsync(ctx, service, longChat, "sg-long-last");
        var longAfter = await SettledRowsAsync(ctx, service, database, ChatKey(longChat));
        var (longBytes, longWrites) = Written(longBefore, longAfter);
        return new StateGrowthFigures(freshBytes, longBytes, freshWrites, longWrites, p.StateHistory);
    }

    private static string ChatKey(long platformChatId) => ChatIds.ForChat(Sources.Telegram, platformChatId.ToString(CultureInfo.InvariantCulture));

    private static async Task SendAsync(BenchContext ctx, ServiceUnderTest service, long chat, string text)
    {
        using var response = await ctx.Client.Http.SendAsync(service.Webhook(ctx.TextUpdate(chat, text)));
        response.EnsureSuccessStatusCode();
    }

    private static (long Bytes, int Writes) Written(Dictionary<string, (long Version, long Length)> before, Dictionary<string, (long Version, long Length)> after)
    {
        long bytes = 0;
        var writes = 0;
        foreach (var (row, now) in after)
        {
            var versions = before.TryGetValue(row, out var then) ? now.Version - then.Version : now.Version;
            bytes += versions * now.Length;
            writes += (int)versions;
        }
        return (bytes, writes);
    }

    /// <summary>The rows once the archive backlog is empty and no version moved for half a second.</summary>
    private static async Task<Dictionary<string, (long Version, long Length)>> SettledRowsAsync(BenchContext ctx, ServiceUnderTest service, string database, string chatKey)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(ctx.Profile.WaitTimeout.TotalSeconds * Stopwatch.Frequency);
        var last = await RowsAsync(database, chatKey);
        var stableSince = Stopwatch.GetTimestamp();
        while (Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(100);
            var now = await RowsAsync(database, chatKey);
            var backlog = await service.ArchiveBacklogAsync(ctx.Client.Http);
            if (backlog > 0 || !Same(now, last))
            {
                last = now;
                stableSince = Stopwatch.GetTimestamp();
                continue;
            }
            if (Stopwatch.GetElapsedTime(stableSince) >= TimeSpan.FromMilliseconds(500))
            {
                return now;
            }
        }
        return last;
    }

    private static bool Same(Dictionary<string, (long, long)> a, Dictionary<string, (long, long)> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);

    /// <summary>Every grain_state row of the chat (its grain id ends with the chat's key), with its version and size.</summary>
    private static async Task<Dictionary<string, (long Version, long Length)>> RowsAsync(string database, string chatKey)
    {
        var rows = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        var connectionString = new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT state_name || ' ' || grain_id, version, length(data) FROM grain_state WHERE substr(grain_id, -length($key)) = $key";
        command.Parameters.AddWithValue("$key", chatKey);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows[reader.GetString(0)] = (reader.GetInt64(1), reader.GetInt64(2));
        }
        return rows;
    }

    // ------------------------------------------------------------------ update in → reply out

    /// <summary>
    /// The whole loop at its own pace: <see cref="Profile.ReplyLoopChats"/> chats with autoMode on, each with one
    /// update in flight (webhook → AI run → sendMessage seen by the fake → the chat's next update). The fake Bot
    /// API enforces no flood limits, the service's pacing is raised out of the way and the fake AI answers at once,
    /// so what is left is the service's own cost per reply. Warm-up first, then <see cref="Profile.ReplyLoopDuration"/>.
    /// </summary>
    public static async Task<ReplyLoopFigures> ReplyLoopAsync(BenchContext ctx, ServiceUnderTest service, long chatBase)
    {
        var p = ctx.Profile;
        var waiters = new ConcurrentDictionary<string, TaskCompletionSource<double>>(StringComparer.Ordinal);
        using var stop = new CancellationTokenSource();
        // One watcher reads the fake's sent messages as they come (the fake's own wait helpers scan the whole list per waiter).
        var watcher = Task.Run(async () =>
        {
            var seen = ctx.Telegram.SentMessages.Count;
            while (!stop.IsCancellationRequested)
            {
                var sent = ctx.Telegram.SentMessages;
                for (; seen < sent.Count; seen++)
                {
                    if (sent[seen].Text is not { } text)
                    {
                        continue;
                    }
                    foreach (Match match in LoopToken().Matches(text))
                    {
                        if (waiters.TryRemove(match.Value, out var waiter))
                        {
                            waiter.TrySetResult(Clock.Ms(sent[seen].Timestamp));
                        }
                    }
                }
                try
                {
                    await Task.Delay(5, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });

        var latencies = new ConcurrentBag<double>();
        var replies = 0;
        var errors = 0;
        var measuring = false;
        async Task Chat(int index, DateTimeOffset until)
        {
            var chat = chatBase + index;
            for (var turn = 0; DateTimeOffset.UtcNow < until; turn++)
            {
                var token = $"rl{index:D5}n{turn:D6}";
                var waiter = new TaskCompletionSource<double>(TaskCreationOptions.RunContinuationsAsynchronously);
                waiters[token] = waiter;
                var started = Clock.NowMs();
                try
                {
                    using (var response = await ctx.Client.Http.SendAsync(service.Webhook(ctx.TextUpdate(chat, token))))
                    {
                        response.EnsureSuccessStatusCode();
                    }
                    var sentAt = await waiter.Task.WaitAsync(p.WaitTimeout);
                    if (Volatile.Read(ref measuring))
                    {
                        Interlocked.Increment(ref replies);
                        latencies.Add(sentAt - started);
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TimeoutException)
                {
                    waiters.TryRemove(token, out _);
                    Interlocked.Increment(ref errors);
                }
            }
        }

        try
        {
            var warmUntil = DateTimeOffset.UtcNow + p.WarmupDuration;
            await Task.WhenAll(Enumerable.Range(0, p.ReplyLoopChats).Select(i => Task.Run(() => Chat(i, warmUntil))));
            Volatile.Write(ref measuring, true);
            var started = Stopwatch.GetTimestamp();
            var until = DateTimeOffset.UtcNow + p.ReplyLoopDuration;
            await Task.WhenAll(Enumerable.Range(0, p.ReplyLoopChats).Select(i => Task.Run(() => Chat(i, until))));
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            return new ReplyLoopFigures(p.ReplyLoopChats, replies, seconds, Percentiles.Of([.. latencies]), errors);
        }
        finally
        {
            await stop.CancelAsync();
            await watcher;
        }
    }

    [GeneratedRegex(@"rl\d{5}n\d{6}")]
    private static partial Regex LoopToken();

    // ------------------------------------------------------------------ archive drain (PocketBase)

    /// <summary>
    /// <see cref="Profile.ArchiveBurst"/> messages over 100 chats as fast as the service takes them: the archive
    /// falls behind, and the time from the burst's start until its backlog is empty is the archive's own rate.
    /// </summary>
    public static async Task<ArchiveDrainFigures> ArchiveDrainAsync(BenchContext ctx, ServiceUnderTest service, long chatBase)
    {
        var p = ctx.Profile;
        var deadline = Stopwatch.GetTimestamp() + (long)(p.WaitTimeout.TotalSeconds * 4 * Stopwatch.Frequency);
        while (await service.ArchiveBacklogAsync(ctx.Client.Http) > 0 && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(100);
        }
        var started = Stopwatch.GetTimestamp();
        var burst = await ctx.Client.RunAsync("archive burst", p.ArchiveBurst, p.IngestConcurrency, p.WaitTimeout,
            i => service.Webhook(ctx.TextUpdate(chatBase + i % 100, $"ab{i:D7}")));
        var ingestSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        int backlog;
        while ((backlog = await service.ArchiveBacklogAsync(ctx.Client.Http)) > 0 && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(50);
        }
        return new ArchiveDrainFigures(burst.Ok, ingestSeconds, Stopwatch.GetElapsedTime(started).TotalSeconds, backlog);
    }
}

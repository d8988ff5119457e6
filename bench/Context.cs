using System.Globalization;
using System.Text;
using MessengerAutoReply.Fakes.OpenAI;
using MessengerAutoReply.Fakes.Telegram;

namespace MessengerAutoReply.Bench;

/// <summary>How big each scenario is. <c>--smoke</c> proves every figure is produced; <c>--quick</c> measures sustained figures in about six minutes.</summary>
public sealed record Profile
{
    public required string Name { get; init; }
    public TimeSpan LimitDuration { get; init; }
    public int LimitRequests { get; init; }
    public int RedisRequests { get; init; }
    public int IngestChats { get; init; }
    public int IngestMessagesPerChat { get; init; }
    public int IngestConcurrency { get; init; } = 64;
    /// <summary>How long the saturated ingest is measured, after <see cref="WarmupDuration"/> of the same load (sustained, not the first second).</summary>
    public TimeSpan IngestDuration { get; init; }
    /// <summary>Load on chats of their own before a measurement: JIT, tiered compilation, connection pools, caches.</summary>
    public TimeSpan WarmupDuration { get; init; }
    /// <summary>How long the open-loop run at half the saturated rate lasts (its p99s).</summary>
    public TimeSpan HalfRateDuration { get; init; }
    public int WarmupRequests { get; init; }
    /// <summary>Earlier messages in the long chat of <c>state_bytes_growth_1000</c> (1,000 but in --smoke).</summary>
    public int StateHistory { get; init; } = 1_000;
    /// <summary>Chats of the reply loop, each one update in flight: update → reply → next update.</summary>
    public int ReplyLoopChats { get; init; } = 64;
    public TimeSpan ReplyLoopDuration { get; init; }
    /// <summary>Messages ingested at once to pile up the PocketBase archive's backlog, whose drain rate is measured.</summary>
    public int ArchiveBurst { get; init; }
    public int ConversationChats { get; init; }
    public int ConversationTurns { get; init; }
    public int BurstReplyChats { get; init; }
    public int BurstReplyMessages { get; init; }
    public int OutboundReplies { get; init; }
    public int OutboundChats { get; init; }
    public IReadOnlyList<int> FanOutSubscribers { get; init; } = [1, 100, 1000];
    public int FanOutMessages { get; init; }
    public double FanOutRate { get; init; } = 50;
    public int ScaleChats { get; init; }
    public int Silos { get; init; } = 2;
    public TimeSpan WaitTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public static Profile Full => new()
    {
        Name = "full",
        LimitDuration = TimeSpan.FromSeconds(10),
        LimitRequests = 1_000_000,
        RedisRequests = 200_000,
        IngestChats = 1_000,
        IngestMessagesPerChat = 20,
        IngestDuration = TimeSpan.FromSeconds(30),
        WarmupDuration = TimeSpan.FromSeconds(10),
        HalfRateDuration = TimeSpan.FromSeconds(15),
        WarmupRequests = 2_000,
        ReplyLoopDuration = TimeSpan.FromSeconds(20),
        ArchiveBurst = 10_000,
        ConversationChats = 20,
        ConversationTurns = 5,
        BurstReplyChats = 50,
        BurstReplyMessages = 8,
        OutboundReplies = 1_000,
        OutboundChats = 200,
        FanOutMessages = 200,
        ScaleChats = 100_000,
        WaitTimeout = TimeSpan.FromMinutes(5),
    };

    public static Profile Quick => new()
    {
        Name = "quick",
        LimitDuration = TimeSpan.FromSeconds(5),
        LimitRequests = 1_000_000,
        RedisRequests = 100_000,
        IngestChats = 100,
        IngestMessagesPerChat = 10,
        IngestDuration = TimeSpan.FromSeconds(20),
        WarmupDuration = TimeSpan.FromSeconds(5),
        HalfRateDuration = TimeSpan.FromSeconds(5),
        WarmupRequests = 200,
        ReplyLoopDuration = TimeSpan.FromSeconds(10),
        ArchiveBurst = 3_000,
        ConversationChats = 10,
        ConversationTurns = 3,
        BurstReplyChats = 20,
        BurstReplyMessages = 5,
        OutboundReplies = 150,
        OutboundChats = 30,
        FanOutMessages = 30,
        ScaleChats = 5_000,
        WaitTimeout = TimeSpan.FromSeconds(40),
    };

    public static Profile Smoke => new()
    {
        Name = "smoke",
        LimitDuration = TimeSpan.FromSeconds(0.5),
        LimitRequests = 1_000,
        RedisRequests = 2_000,
        IngestChats = 10,
        IngestMessagesPerChat = 4,
        IngestConcurrency = 8,
        IngestDuration = TimeSpan.FromSeconds(1.5),
        WarmupDuration = TimeSpan.FromSeconds(0.5),
        HalfRateDuration = TimeSpan.FromSeconds(0.5),
        WarmupRequests = 20,
        StateHistory = 30,
        ReplyLoopChats = 4,
        ReplyLoopDuration = TimeSpan.FromSeconds(1.5),
        ArchiveBurst = 40,
        ConversationChats = 2,
        ConversationTurns = 1,
        BurstReplyChats = 2,
        BurstReplyMessages = 2,
        OutboundReplies = 10,
        OutboundChats = 5,
        FanOutSubscribers = [1, 5],
        FanOutMessages = 6,
        ScaleChats = 100,
        Silos = 1,
        WaitTimeout = TimeSpan.FromSeconds(15),
    };
}

/// <summary>What every scenario shares: the load client, the loopback fakes, Redis and PocketBase.</summary>
public sealed class BenchContext : IAsyncDisposable
{
    public const string OpenAIKey = "sk-bench";

    public required Profile Profile { get; init; }
    public required LoadClient Client { get; init; }
    public required FakeTelegramServer Telegram { get; init; }
    public required FakeOpenAIServer OpenAI { get; init; }
    public required RedisServer Redis { get; init; }
    public PocketBaseServer? PocketBase { get; init; }
    public required TextWriter Log { get; init; }

    private long _updateId;
    private int _messageId;

    public void Note(string line) => Log.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");

    /// <summary>A private-chat text message as Telegram would POST it to the webhook.</summary>
    public byte[] TextUpdate(long chatId, string text)
    {
        var updateId = Interlocked.Increment(ref _updateId);
        var messageId = Interlocked.Increment(ref _messageId);
        var date = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var chat = chatId.ToString(CultureInfo.InvariantCulture);
        var json = new StringBuilder(400)
            .Append("{\"update_id\":").Append(updateId.ToString(CultureInfo.InvariantCulture))
            .Append(",\"message\":{\"message_id\":").Append(messageId.ToString(CultureInfo.InvariantCulture))
            .Append(",\"from\":{\"id\":").Append(chat).Append(",\"is_bot\":false,\"first_name\":\"Bench\",\"last_name\":\"Customer ").Append(chat).Append("\",\"language_code\":\"en\"}")
            .Append(",\"chat\":{\"id\":").Append(chat).Append(",\"first_name\":\"Bench\",\"last_name\":\"Customer ").Append(chat).Append("\",\"type\":\"private\"}")
            .Append(",\"date\":").Append(date.ToString(CultureInfo.InvariantCulture))
            .Append(",\"text\":\"").Append(text).Append("\"}}");
        return Encoding.UTF8.GetBytes(json.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        await Telegram.DisposeAsync();
        await OpenAI.DisposeAsync();
        await Redis.DisposeAsync();
        if (PocketBase is not null)
        {
            await PocketBase.DisposeAsync();
        }
        Client.Dispose();
    }
}

/// <summary>Wall-clock milliseconds: the fakes stamp their records with the system clock, so the bench does too.</summary>
public static class Clock
{
    public static double NowMs() => Ms(DateTimeOffset.UtcNow);

    public static double Ms(DateTimeOffset at) => (at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / (double)TimeSpan.TicksPerMillisecond;
}

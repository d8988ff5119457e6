using System.Text.RegularExpressions;
using MessengerAutoReply.Hosting;

namespace MessengerAutoReply.Telegram;

/// <summary>Everything the Telegram channel needs, read once at start; null from <see cref="Load"/> when TELEGRAM_TOKEN is unset.</summary>
public sealed partial class TelegramOptions
{
    public const string SecretFileName = "telegram-webhook-secret";
    public const string WebhookPath = "/webhooks/telegram";

    public required string Token { get; init; }
    public Uri ApiUrl { get; init; } = new("https://api.telegram.org");
    /// <summary>Set: Telegram calls us (webhook mode); unset: the cluster's single poller calls getUpdates.</summary>
    public Uri? WebhookUrl { get; init; }
    public required string WebhookSecret { get; init; }
    public bool WebhookSecretGenerated { get; init; }

    /// <summary>getUpdates long-poll timeout in whole seconds (the server clamps to 50).</summary>
    public int PollTimeoutSeconds { get; init; } = 25;
    public int PollLimit { get; init; } = 100;
    /// <summary>First wait after a failed poll or a failed hand-off; doubles up to <see cref="PollBackoffMax"/>.</summary>
    public TimeSpan PollBackoff { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan PollBackoffMax { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>
    /// Least time from one empty getUpdates answer to the next call: a server or proxy that answers at once instead of
    /// long-polling must not make the poller spin. A real long poll lasts longer and never waits for it.
    /// </summary>
    public TimeSpan PollEmptyBackoff { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>An update its chat refuses (a non-transient error) this many times in a row is parked and passed.</summary>
    public int ParkAfterAttempts { get; init; } = 3;
    /// <summary>How often every silo pokes the poller grain, so it comes back on another silo after a crash.</summary>
    public TimeSpan KeeperInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Messages per <see cref="GlobalWindow"/> for the whole bot (Telegram: about 30/s).</summary>
    public int GlobalLimit { get; init; } = 30;
    public TimeSpan GlobalWindow { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Private chats: one message per this interval (Telegram: about 1/s).</summary>
    public TimeSpan PrivateChatInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Groups: at most this many per <see cref="GroupWindow"/> (Telegram: 20/min).</summary>
    public int GroupLimit { get; init; } = 20;
    public TimeSpan GroupWindow { get; init; } = TimeSpan.FromMinutes(1);
    /// <summary>Added to every window: requests start in order but may arrive at Telegram a little apart.</summary>
    public TimeSpan PacingMargin { get; init; } = TimeSpan.FromMilliseconds(100);
    /// <summary>A 429 asking for a longer wait is handed back to the chat grain as transient (it retries with backoff).</summary>
    public TimeSpan MaxRetryAfterWait { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>getFile refuses bigger files on the cloud server (20 MB); a local Bot API server has no limit.</summary>
    public long MaxDownloadBytes { get; init; } = 20L << 20;
    /// <summary>
    /// TELEGRAM_LOCAL_FILES_DIR: where a local Bot API server (<c>--local</c>) keeps files. Only an absolute file_path
    /// under it (after resolving links) is read from disk; unset, absolute paths are never read.
    /// </summary>
    public string? LocalFilesDir { get; init; }

    public bool WebhookMode => WebhookUrl is not null;

    /// <summary>The HttpClient timeout: above the long poll, or the client cuts its own polls short.</summary>
    public TimeSpan HttpTimeout => TimeSpan.FromSeconds(PollTimeoutSeconds) + SendTimeout;

    [GeneratedRegex(@"^\d{1,16}:[A-Za-z0-9_-]+$")]
    private static partial Regex TokenShape();

    [GeneratedRegex("^[A-Za-z0-9_-]{1,256}$")]
    private static partial Regex SecretShape();

    /// <summary>Null when TELEGRAM_TOKEN is unset; bad values go to <paramref name="read"/>'s error list.</summary>
    public static TelegramOptions? Load(SettingsReader read, string dataDir)
    {
        var token = read.String("TELEGRAM_TOKEN");
        if (token is null)
        {
            return null;
        }
        if (!TokenShape().IsMatch(token))
        {
            // Never echo the value: it may be a real token with a typo.
            read.Error("TELEGRAM_TOKEN", "expected the token BotFather gave, shaped like 123456789:AAH...");
        }
        var webhookUrl = read.AbsoluteUri("TELEGRAM_WEBHOOK_URL");
        var secret = read.String("TELEGRAM_WEBHOOK_SECRET");
        var generated = false;
        if (secret is not null && !SecretShape().IsMatch(secret))
        {
            read.Error("TELEGRAM_WEBHOOK_SECRET", "1 to 256 characters from A-Z, a-z, 0-9, _ and - (Telegram's rule for secret_token)");
        }
        if (secret is null)
        {
            (secret, generated) = PersistedSecret.GetOrCreate(dataDir, SecretFileName);
        }
        var options = new TelegramOptions
        {
            Token = token,
            ApiUrl = read.AbsoluteUri("TELEGRAM_API_URL", "https://api.telegram.org") ?? new Uri("https://api.telegram.org"),
            WebhookUrl = webhookUrl,
            WebhookSecret = secret,
            WebhookSecretGenerated = generated,
            PollTimeoutSeconds = (int)read.Duration("TELEGRAM_POLL_TIMEOUT", TimeSpan.FromSeconds(25)).TotalSeconds,
            PollLimit = read.Int("TELEGRAM_POLL_LIMIT", 100, 1, 100),
            PollBackoff = read.Duration("TELEGRAM_POLL_BACKOFF", TimeSpan.FromSeconds(1)),
            PollBackoffMax = read.Duration("TELEGRAM_POLL_BACKOFF_MAX", TimeSpan.FromSeconds(30)),
            KeeperInterval = read.Duration("TELEGRAM_POLLER_KEEPER_INTERVAL", TimeSpan.FromSeconds(5)),
            PollEmptyBackoff = read.Duration("TELEGRAM_POLL_EMPTY_BACKOFF", TimeSpan.FromSeconds(1)),
            ParkAfterAttempts = read.Int("TELEGRAM_PARK_AFTER_ATTEMPTS", 3, 1, 100),
            // Up to 100,000: a self-hosted Bot API server (and the bench's reply loop) has no 30/s flood limit.
            GlobalLimit = read.Int("TELEGRAM_RATE_PER_SECOND", 30, 1, 100_000),
            PrivateChatInterval = read.Duration("TELEGRAM_CHAT_INTERVAL", TimeSpan.FromSeconds(1)),
            GroupLimit = read.Int("TELEGRAM_GROUP_RATE_PER_MINUTE", 20, 1, 1000),
            PacingMargin = read.Duration("TELEGRAM_PACING_MARGIN", TimeSpan.FromMilliseconds(100)),
            MaxRetryAfterWait = read.Duration("TELEGRAM_MAX_RETRY_AFTER_WAIT", TimeSpan.FromSeconds(30)),
            SendTimeout = read.Duration("TELEGRAM_SEND_TIMEOUT", TimeSpan.FromSeconds(30)),
            MaxDownloadBytes = read.Int("TELEGRAM_MAX_DOWNLOAD_MB", 20, 1, 100_000) * (1L << 20),
            LocalFilesDir = read.String("TELEGRAM_LOCAL_FILES_DIR") is { } local ? Path.GetFullPath(local) : null,
        };
        if (options.LocalFilesDir is not null && !Directory.Exists(options.LocalFilesDir))
        {
            read.Error("TELEGRAM_LOCAL_FILES_DIR", $"'{options.LocalFilesDir}' is not a folder");
        }
        if (options.PollTimeoutSeconds > 50)
        {
            read.Error("TELEGRAM_POLL_TIMEOUT", "at most 50s (Telegram clamps longer polls)");
        }
        foreach (var (name, value) in new[]
        {
            ("TELEGRAM_POLL_BACKOFF", options.PollBackoff), ("TELEGRAM_POLL_BACKOFF_MAX", options.PollBackoffMax),
            ("TELEGRAM_POLL_EMPTY_BACKOFF", options.PollEmptyBackoff), ("TELEGRAM_POLLER_KEEPER_INTERVAL", options.KeeperInterval),
            ("TELEGRAM_SEND_TIMEOUT", options.SendTimeout),
        })
        {
            if (value <= TimeSpan.Zero)
            {
                read.Error(name, "must be greater than zero");
            }
        }
        return options;
    }

    /// <summary>Takes the token out of anything that may carry a Bot API URL (exception texts, request URLs).</summary>
    public string Redact(string? text) =>
        string.IsNullOrEmpty(text) ? text ?? "" : text.Replace(Token, "***", StringComparison.Ordinal);
}

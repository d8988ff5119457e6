using System.Net;
using System.Security.Cryptography;
using MessengerAutoReply.Chats;
using Microsoft.Extensions.Configuration;

namespace MessengerAutoReply.Hosting;

/// <summary>Where the process runs and how it finds its cluster.</summary>
public sealed class HostingOptions
{
    public int ServerPort { get; init; } = 3000;
    public required string DataDir { get; init; }
    /// <summary>Set: cluster mode (Redis clustering, grain storage, pending-work registry).</summary>
    public string? RedisUrl { get; init; }
    public string ClusterId { get; init; } = "messenger-autoreply";
    public string ServiceId { get; init; } = "messenger-autoreply";
    public int SiloPort { get; init; } = 11111;
    public int GatewayPort { get; init; } = 30000;
    public IPAddress? AdvertisedIp { get; init; }
    /// <summary>
    /// SILO_LISTEN_ANY: silo and gateway ports listen on every interface instead of only SILO_ADVERTISED_IP (for
    /// NAT, where the advertised address is not one of this machine's). Off: nothing else can reach them.
    /// </summary>
    public bool SiloListenAny { get; init; }
    /// <summary>CLUSTER_PROBE_TIMEOUT: how long a silo waits for a probe answer (Orleans default 5 s).</summary>
    public TimeSpan? ProbeTimeout { get; init; }
    /// <summary>CLUSTER_MISSED_PROBES: missed probes before a silo suspects another (Orleans default 3).</summary>
    public int? MissedProbesLimit { get; init; }
    /// <summary>CLUSTER_DEATH_VOTES: suspicions needed to declare a silo dead (Orleans default 2).</summary>
    public int? DeathVotes { get; init; }

    public bool ClusterMode => RedisUrl is not null;
    public string GrainDatabase => Path.Combine(DataDir, "grains.db");
    public string ArchiveDatabase => Path.Combine(DataDir, "archive.db");
    public string MediaDirectory => Path.Combine(DataDir, "media");
}

/// <summary>Every setting of the service, read once at start from the environment and <c>.env</c>.</summary>
public sealed class ServiceSettings
{
    public required HostingOptions Hosting { get; init; }
    public required ChatOptions Chats { get; init; }
    public required PendingWorkOptions PendingWork { get; init; }
    public required Ai.AiOptions Ai { get; init; }
    /// <summary>Null when TELEGRAM_TOKEN is unset.</summary>
    public required Telegram.TelegramOptions? Telegram { get; init; }
    public required Brevo.BrevoOptions Brevo { get; init; }
    public required Media.MediaOptions Media { get; init; }
    /// <summary>OUTBOUND_ALLOW_PRIVATE and the trusted platform origins (decision 24).</summary>
    public required Security.OutboundPolicy Outbound { get; init; }
    /// <summary>Null when POCKET_BASE_URL is unset.</summary>
    public required Archive.PocketBase.PocketBaseOptions? PocketBase { get; init; }
    public required IConfiguration Configuration { get; init; }

    /// <summary>
    /// Reads every option group with one <see cref="SettingsReader"/> and throws once with every bad variable, so
    /// three mistakes are three lines of one start, not three restarts. <paramref name="more"/> reads the host's own
    /// groups (the API host's stream settings, the silo's cluster-mode rule) into the same list.
    /// </summary>
    public static ServiceSettings Load(IConfiguration configuration, Action<SettingsReader>? more = null)
    {
        var read = new SettingsReader(configuration);
        var dataDir = Path.GetFullPath(read.String("DATA_DIR", "./data"));
        var hosting = new HostingOptions
        {
            ServerPort = read.Int("SERVER_PORT", 3000, 0, 65535),
            DataDir = dataDir,
            RedisUrl = read.String("REDIS_URL"),
            ClusterId = read.String("ORLEANS_CLUSTER_ID", "messenger-autoreply"),
            ServiceId = read.String("ORLEANS_SERVICE_ID", "messenger-autoreply"),
            SiloPort = read.Int("SILO_PORT", 11111, 1, 65535),
            GatewayPort = read.Int("GATEWAY_PORT", 30000, 1, 65535),
            AdvertisedIp = ParseIp(read, "SILO_ADVERTISED_IP"),
            SiloListenAny = read.Bool("SILO_LISTEN_ANY", false),
            ProbeTimeout = read.String("CLUSTER_PROBE_TIMEOUT") is null ? null : read.Duration("CLUSTER_PROBE_TIMEOUT", TimeSpan.FromSeconds(5)),
            MissedProbesLimit = read.String("CLUSTER_MISSED_PROBES") is null ? null : read.Int("CLUSTER_MISSED_PROBES", 3, 1, 10),
            DeathVotes = read.String("CLUSTER_DEATH_VOTES") is null ? null : read.Int("CLUSTER_DEATH_VOTES", 2, 1, 10),
        };
        if (hosting.RedisUrl is not null)
        {
            try
            {
                _ = StackExchange.Redis.ConfigurationOptions.Parse(RedisConnection.Normalize(hosting.RedisUrl));
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException)
            {
                read.Error("REDIS_URL", $"not a Redis address ({ex.Message}); use host:port or redis://host:port");
            }
        }
        var chats = new ChatOptions
        {
            AutoModeDefault = read.Bool("AUTO_MODE_DEFAULT", true),
            OperatorTakeover = read.Bool("OPERATOR_TAKEOVER", true),
            DeliveryMaxAttempts = read.Int("DELIVERY_MAX_ATTEMPTS", 8, 1, 100),
            RetryBackoffMin = read.Duration("RETRY_BACKOFF_MIN", TimeSpan.FromSeconds(1)),
            RetryBackoffMax = read.Duration("RETRY_BACKOFF_MAX", TimeSpan.FromMinutes(2)),
            DeliveryTimeout = read.Duration("DELIVERY_TIMEOUT", TimeSpan.FromSeconds(60)),
            RunLease = read.Duration("AI_RUN_LEASE", TimeSpan.FromMinutes(10)),
        };
        chats.WorkLease = read.Duration("WORK_LEASE", chats.DeliveryTimeout * 2);
        chats.WorkDrainTimeout = read.Duration("WORK_DRAIN_TIMEOUT", TimeSpan.FromSeconds(20));
        if (chats.WorkLease <= chats.DeliveryTimeout)
        {
            read.Error("WORK_LEASE", $"must be longer than DELIVERY_TIMEOUT ({chats.DeliveryTimeout.TotalSeconds:0.#} s), which bounds the work it waits for");
        }
        if (chats.RunLease <= TimeSpan.Zero)
        {
            read.Error("AI_RUN_LEASE", "must be greater than zero");
        }
        var pending = new PendingWorkOptions
        {
            SweepInterval = read.Duration("PENDING_SWEEP_INTERVAL", TimeSpan.FromSeconds(30)),
        };
        if (pending.SweepInterval <= TimeSpan.Zero)
        {
            read.Error("PENDING_SWEEP_INTERVAL", "must be greater than zero");
        }
        var ai = MessengerAutoReply.Ai.AiOptions.Load(read);
        var telegram = MessengerAutoReply.Telegram.TelegramOptions.Load(read, hosting.DataDir);
        var brevo = MessengerAutoReply.Brevo.BrevoOptions.Load(read, chats.DeliveryTimeout);
        var pocketBase = MessengerAutoReply.Archive.PocketBase.PocketBaseOptions.Read(read);
        var media = MessengerAutoReply.Media.MediaOptions.Load(read, hosting.DataDir);
        var outbound = MessengerAutoReply.Security.OutboundPolicy.Read(read);
        more?.Invoke(read);
        if (read.Errors.Count > 0)
        {
            throw new InvalidSettingsException(read.Errors);
        }
        return new ServiceSettings
        {
            Hosting = hosting, Chats = chats, PendingWork = pending, Ai = ai, Telegram = telegram, Brevo = brevo, PocketBase = pocketBase, Media = media, Outbound = outbound,
            Configuration = configuration,
        };
    }

    private static IPAddress? ParseIp(SettingsReader read, string name)
    {
        var raw = read.String(name);
        if (raw is null)
        {
            return null;
        }
        if (IPAddress.TryParse(raw, out var ip))
        {
            return ip;
        }
        read.Error(name, $"expected an IP address, got '{raw}'");
        return null;
    }
}

public static class RedisConnection
{
    /// <summary>Accepts <c>redis://[:password@]host:port[/db]</c> as well as StackExchange.Redis' own syntax.</summary>
    public static string Normalize(string url)
    {
        if (!url.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) && !url.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase))
        {
            return url;
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new FormatException("no host in the URL");
        }
        var parts = new List<string> { $"{uri.Host}:{(uri.Port > 0 ? uri.Port : 6379)}" };
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var info = Uri.UnescapeDataString(uri.UserInfo);
            var colon = info.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                parts.Add($"user={info[..colon]}");
            }
            parts.Add($"password={(colon >= 0 ? info[(colon + 1)..] : info)}");
        }
        if (uri.AbsolutePath.Trim('/') is { Length: > 0 } db)
        {
            parts.Add($"defaultDatabase={db}");
        }
        if (uri.Scheme.Equals("rediss", StringComparison.OrdinalIgnoreCase))
        {
            parts.Add("ssl=true");
        }
        parts.Add("abortConnect=false");
        return string.Join(',', parts);
    }
}

/// <summary>
/// A secret the operator may leave unset: generated once and kept in the data folder. The file is created
/// exclusively (O_EXCL) with mode 0600 from the first byte, so there is no moment at umask permissions; a process
/// that finds it already there reads the other's secret back, so two processes starting on one DATA_DIR agree.
/// </summary>
public static class PersistedSecret
{
    public static (string Value, bool Generated) GetOrCreate(string dataDir, string fileName, int bytes = 24)
    {
        Directory.CreateDirectory(dataDir);
        var path = Path.Combine(dataDir, fileName);
        if (ReadExisting(path) is { } existing)
        {
            return (existing, false);
        }
        var value = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));
        if (TryCreate(path, value, FileMode.CreateNew))
        {
            return (value, true);
        }
        // Someone else created it: wait for their write to land (it is one small write right after the create).
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < deadline)
        {
            if (ReadExisting(path) is { } theirs)
            {
                Thread.Sleep(20);
                if (ReadExisting(path) == theirs)
                {
                    return (theirs, false);
                }
                continue;
            }
            Thread.Sleep(20);
        }
        // Still empty: left by a crash mid-write (or an older version); replace it.
        TryCreate(path, value, FileMode.Truncate);
        return (value, true);
    }

    private static bool TryCreate(string path, string value, FileMode mode)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write, Share = FileShare.Read };
        if (!OperatingSystem.IsWindows() && mode == FileMode.CreateNew)
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        try
        {
            using var file = new FileStream(path, options);
            file.Write(System.Text.Encoding.ASCII.GetBytes(value));
            file.Flush(flushToDisk: true);
            return true;
        }
        catch (IOException) when (mode == FileMode.CreateNew && File.Exists(path))
        {
            return false;
        }
    }

    private static string? ReadExisting(string path)
    {
        try
        {
            var text = File.ReadAllText(path).Trim();
            return text.Length > 0 ? text : null;
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }
}

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
    public required IConfiguration Configuration { get; init; }

    public static ServiceSettings Load(IConfiguration configuration)
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
        if (read.Errors.Count > 0)
        {
            throw new InvalidSettingsException(read.Errors);
        }
        return new ServiceSettings { Hosting = hosting, Chats = chats, PendingWork = pending, Ai = ai, Configuration = configuration };
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

/// <summary>A secret the operator may leave unset: generated once and kept in the data folder.</summary>
public static class PersistedSecret
{
    public static (string Value, bool Generated) GetOrCreate(string dataDir, string fileName, int bytes = 24)
    {
        Directory.CreateDirectory(dataDir);
        var path = Path.Combine(dataDir, fileName);
        if (File.Exists(path))
        {
            var existing = File.ReadAllText(path).Trim();
            if (existing.Length > 0)
            {
                return (existing, false);
            }
        }
        var value = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));
        File.WriteAllText(path, value);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return (value, true);
    }
}

using MessengerAutoReply.Hosting;

namespace MessengerAutoReply.Brevo;

/// <summary>Brevo Conversations (Instagram and Brevo's other channels), read once at start.</summary>
public sealed class BrevoOptions
{
    public const string DefaultApiUrl = "https://api.brevo.com/v3";
    public const string DefaultReceivedFrom = "messenger-autoreply";

    /// <summary>BREVO_API_KEY; null means Brevo is not configured (no gateway, no webhook).</summary>
    public string? ApiKey { get; init; }

    /// <summary>BREVO_AGENT_ID: the agent our replies are sent as.</summary>
    public string AgentId { get; init; } = "";

    /// <summary>BREVO_API_URL, always ending in a slash so relative paths keep the <c>/v3</c> prefix.</summary>
    public Uri ApiUrl { get; init; } = new(DefaultApiUrl + "/");

    /// <summary>BREVO_WEBHOOK_SECRET; null means generated once and kept in the data folder.</summary>
    public string? WebhookSecret { get; init; }

    /// <summary>BREVO_RECEIVED_FROM: the label on every message we send, which is how we recognize their echoes.</summary>
    public string ReceivedFrom { get; init; } = DefaultReceivedFrom;

    /// <summary>PUBLIC_URL: only used to print the complete webhook URL at start.</summary>
    public Uri? PublicUrl { get; init; }

    /// <summary>
    /// BREVO_QUEUE_MAX_WAIT: how long a reply may wait in the account-wide queue for the rate budget; past
    /// that it goes back to its chat as deferred (not failed) and is offered again at the reset.
    /// </summary>
    public TimeSpan QueueMaxWait { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>BREVO_RATE_LIMIT_WAIT: the wait after a 429 that carries no <c>x-sib-ratelimit-reset</c>.</summary>
    public TimeSpan RateLimitFallbackWait { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>BREVO_SEND_TIMEOUT: one HTTP attempt against Brevo's API.</summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>BREVO_MAX_FILE_MB: attachments larger than this are stored without their content.</summary>
    public long MaxFileBytes { get; init; } = 25L * 1024 * 1024;

    public bool Configured => ApiKey is not null;

    /// <summary>Bad values go to <paramref name="read"/>'s error list (one line each, never the secret's value).</summary>
    public static BrevoOptions Load(SettingsReader read, TimeSpan deliveryTimeout)
    {
        var apiKey = read.String("BREVO_API_KEY");
        var agentId = read.String("BREVO_AGENT_ID");
        if (apiKey is not null && agentId is null)
        {
            read.Error("BREVO_AGENT_ID", "required when BREVO_API_KEY is set (the id of the Brevo agent replies are sent as; see README, Instagram via Brevo)");
        }
        var apiUrl = read.AbsoluteUri("BREVO_API_URL", DefaultApiUrl);
        var secret = read.String("BREVO_WEBHOOK_SECRET");
        if (secret is not null && (secret.Length < 16 || !secret.All(IsUrlSafe)))
        {
            // Never echo the value: it is a secret even when it is a bad one.
            read.Error("BREVO_WEBHOOK_SECRET", "use at least 16 characters of A-Z, a-z, 0-9, '-', '_' or '.' (it becomes a URL path segment)");
        }
        var options = new BrevoOptions
        {
            ApiKey = apiKey,
            AgentId = agentId ?? "",
            ApiUrl = apiUrl is null ? new Uri(DefaultApiUrl + "/") : new Uri(apiUrl.ToString().TrimEnd('/') + "/"),
            WebhookSecret = secret,
            ReceivedFrom = read.String("BREVO_RECEIVED_FROM", DefaultReceivedFrom),
            PublicUrl = read.AbsoluteUri("PUBLIC_URL"),
            QueueMaxWait = read.Duration("BREVO_QUEUE_MAX_WAIT", TimeSpan.FromSeconds(20)),
            RateLimitFallbackWait = read.Duration("BREVO_RATE_LIMIT_WAIT", TimeSpan.FromMinutes(1)),
            SendTimeout = read.Duration("BREVO_SEND_TIMEOUT", TimeSpan.FromSeconds(15)),
            MaxFileBytes = read.Int("BREVO_MAX_FILE_MB", 25, 1, 1024) * 1024L * 1024,
        };
        if (options.QueueMaxWait >= deliveryTimeout)
        {
            // The chat's delivery call would time out first and count a failed attempt for a reply never sent.
            read.Error("BREVO_QUEUE_MAX_WAIT", $"must be shorter than DELIVERY_TIMEOUT ({deliveryTimeout.TotalSeconds:0.#} s)");
        }
        if (options.SendTimeout <= TimeSpan.Zero)
        {
            read.Error("BREVO_SEND_TIMEOUT", "must be greater than zero");
        }
        return options;
    }

    private static bool IsUrlSafe(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.';
}

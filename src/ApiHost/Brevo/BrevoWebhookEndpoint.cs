using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MessengerAutoReply.ApiHost.Api;
using MessengerAutoReply.Brevo;
using MessengerAutoReply.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace MessengerAutoReply.ApiHost.Brevo;

/// <summary>
/// <c>POST /webhooks/brevo/{secret}</c>. Brevo signs nothing, so the secret in the path is the only proof the
/// call is Brevo's; a wrong one gets the same 404 as a route that does not exist. 200 means every message of
/// the event is durable in its chat.
/// </summary>
public static partial class BrevoWebhookEndpoint
{
    public const string PathPrefix = "/webhooks/brevo/";
    public const string SecretFileName = "brevo-webhook-secret";

    /// <summary>Transcripts carry whole conversations; a megabyte is far above any seen, far below harm.</summary>
    private const long BodyLimit = 4 * 1024 * 1024;

    private static readonly ConcurrentDictionary<string, bool> LoggedUnknownEvents = new();

    /// <summary>Maps the webhook when Brevo is configured (BREVO_API_KEY), and tells the operator its URL at start.</summary>
    public static WebApplication MapBrevoWebhook(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<BrevoOptions>>().Value;
        if (!options.Configured)
        {
            return app;
        }
        var settings = app.Services.GetRequiredService<ServiceSettings>();
        var secret = ResolveSecret(options, settings);
        var expected = SHA256.HashData(Encoding.UTF8.GetBytes(secret.Value));
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MessengerAutoReply.Brevo.Webhook");

        app.MapPost(PathPrefix + "{secret}", (string secret, HttpContext context, IGrainFactory grains) =>
            HandleAsync(secret, expected, context, grains, logger));
        app.Lifetime.ApplicationStarted.Register(() => Announce(options, settings, secret, logger));
        return app;
    }

    internal static (string Value, bool Generated, string? StoredAt) ResolveSecret(BrevoOptions options, ServiceSettings settings)
    {
        if (options.WebhookSecret is not null)
        {
            return (options.WebhookSecret, false, null);
        }
        var (value, generated) = PersistedSecret.GetOrCreate(settings.Hosting.DataDir, SecretFileName);
        return (value, generated, Path.Combine(settings.Hosting.DataDir, SecretFileName));
    }

    private static async Task<IResult> HandleAsync(string secret, byte[] expected, HttpContext context, IGrainFactory grains, ILogger logger)
    {
        // Hashing first makes the comparison constant-time in the length too.
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(secret)), expected))
        {
            LogWrongSecret(logger, context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound);
        }
        if (context.Request.ContentLength > BodyLimit)
        {
            return Problems.TooLarge(BodyLimit);
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = BodyLimit;
        }

        BrevoWebhookEvent e;
        try
        {
            using var doc = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return Problems.BadRequest("A Brevo webhook body is a JSON object.");
            }
            e = BrevoWebhookParser.Parse(doc.RootElement);
        }
        catch (JsonException)
        {
            return Problems.BadRequest("The body is not JSON.");
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Problems.TooLarge(BodyLimit);
        }

        if (!e.IsKnown)
        {
            // Brevo may add events; acknowledging stops it from retrying something we will never act on.
            if (LoggedUnknownEvents.TryAdd(e.EventName, true))
            {
                LogUnknownEvent(logger, e.EventName.Length == 0 ? "(no eventName)" : e.EventName);
            }
            return TypedResults.Ok(new WebhookAnswer(0, 0, Ignored: true));
        }
        if (e.Visitor is null)
        {
            LogNoVisitor(logger, e.EventName);
            return Problems.BadRequest($"{e.EventName} without visitor.id: there is no chat to put it in.");
        }

        try
        {
            var result = await grains.GetGrain<IBrevoIngressGrain>(0).AcceptAsync(e);
            return TypedResults.Ok(new WebhookAnswer(result.Accepted, result.Duplicates, Ignored: false));
        }
        catch (Exception ex)
        {
            // Not accepted: a non-2xx lets Brevo (if it retries) deliver again; dedup makes that safe.
            LogIngressFailed(logger, ex, e.EventName);
            return Problems.Unavailable("The event could not be stored; try again.");
        }
    }

    private static void Announce(BrevoOptions options, ServiceSettings settings, (string Value, bool Generated, string? StoredAt) secret, ILogger logger)
    {
        var path = PathPrefix + secret.Value;
        if (secret.Generated)
        {
            var baseUrl = options.PublicUrl?.ToString().TrimEnd('/') ?? "https://<your public address>";
            // The one place this secret is printed (decision 15): the operator pastes it into Brevo once.
            Console.WriteLine($"Brevo webhook (paste into Brevo → Conversations → Settings → Integrations → Webhooks; secret generated, stored in {secret.StoredAt}): {baseUrl}{path}");
        }
        else
        {
            LogWebhookReady(logger, secret.StoredAt ?? "BREVO_WEBHOOK_SECRET");
        }
        if (secret.StoredAt is not null && settings.Hosting.ClusterMode)
        {
            LogSetSecretInCluster(logger);
        }
    }

    private sealed record WebhookAnswer(int Accepted, int Duplicates, bool Ignored);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Brevo webhook called with a wrong secret from {RemoteIp}: answered 404")]
    private static partial void LogWrongSecret(ILogger logger, string remoteIp);

    [LoggerMessage(Level = LogLevel.Information, Message = "Brevo webhook event '{EventName}' is not one we act on: acknowledged and ignored (logged once per event name)")]
    private static partial void LogUnknownEvent(ILogger logger, string eventName);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Brevo webhook event '{EventName}' has no visitor.id: answered 400")]
    private static partial void LogNoVisitor(ILogger logger, string eventName);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Brevo webhook event '{EventName}' could not be stored: answered 503")]
    private static partial void LogIngressFailed(ILogger logger, Exception ex, string eventName);

    [LoggerMessage(Level = LogLevel.Information, Message = "Brevo webhook ready at /webhooks/brevo/*** (secret from {SecretSource})")]
    private static partial void LogWebhookReady(ILogger logger, string secretSource);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster mode: set BREVO_WEBHOOK_SECRET explicitly when API hosts run on several machines; a generated secret lives in one data folder")]
    private static partial void LogSetSecretInCluster(ILogger logger);
}

using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MessengerAutoReply.ApiHost.Api;
using MessengerAutoReply.Telegram;
using Telegram.Bot;
using Telegram.Bot.Types;

namespace MessengerAutoReply.ApiHost.Telegram;

/// <summary>
/// <c>POST /webhooks/telegram</c>: Telegram's own secret header instead of the API key (decision 14). Answers
/// 200 only once the update's message is durable in its chat grain, so a crash before that makes Telegram
/// deliver again and the chat grain dedups.
/// </summary>
public static partial class TelegramWebhookEndpoint
{
    private const long MaxBody = 1 << 20;

    public static WebApplication MapTelegramWebhook(this WebApplication app)
    {
        if (app.Services.GetService<TelegramOptions>() is not { WebhookMode: true } options)
        {
            return app;
        }
        var secretHash = SHA256.HashData(Encoding.UTF8.GetBytes(options.WebhookSecret));
        app.MapPost(TelegramOptions.WebhookPath, (HttpContext context, TelegramIngress ingress, ILogger<TelegramIngress> logger) =>
            HandleAsync(context, ingress, secretHash, logger));

        var settings = app.Services.GetRequiredService<MessengerAutoReply.Hosting.ServiceSettings>();
        if (options.WebhookSecretGenerated && settings.Hosting.ClusterMode)
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MessengerAutoReply.Telegram");
            LogGeneratedSecretInCluster(logger, settings.Hosting.DataDir);
        }
        return app;
    }

    private static async Task<IResult> HandleAsync(HttpContext context, TelegramIngress ingress, byte[] secretHash, ILogger logger)
    {
        var given = context.Request.Headers["X-Telegram-Bot-Api-Secret-Token"].ToString();
        // Hash both sides so the comparison takes the same time whatever the length of the guess.
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), secretHash))
        {
            LogRejected(logger, given.Length == 0 ? "missing" : "wrong");
            return Problems.Unauthorized("The X-Telegram-Bot-Api-Secret-Token header is missing or wrong.");
        }
        if (context.Request.ContentLength > MaxBody)
        {
            return Problems.TooLarge(MaxBody);
        }
        // A chunked body has no Content-Length: the server cuts it off at the same size while it is read.
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBody;
        }
        Update? update;
        try
        {
            update = await JsonSerializer.DeserializeAsync<Update>(context.Request.Body, JsonBotAPI.Options, context.RequestAborted);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            LogMalformed(logger, $"body larger than {MaxBody} bytes");
            return Problems.TooLarge(MaxBody);
        }
        catch (JsonException ex)
        {
            // 400, not 5xx: Telegram would resend a body we can never read.
            LogMalformed(logger, ex.Message);
            return Problems.BadRequest("The body is not a Telegram Update.");
        }
        if (update is null)
        {
            LogMalformed(logger, "null body");
            return Problems.BadRequest("The body is not a Telegram Update.");
        }
        await ingress.AcceptAsync(update);
        return TypedResults.Ok();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram webhook: request refused, secret header {State}")]
    private static partial void LogRejected(ILogger logger, string state);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram webhook: malformed update refused with 400: {Error}")]
    private static partial void LogMalformed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "TELEGRAM_WEBHOOK_SECRET is not set: using the one generated in {DataDir}. In cluster mode set it explicitly unless every process shares that folder")]
    private static partial void LogGeneratedSecretInCluster(ILogger logger, string dataDir);
}

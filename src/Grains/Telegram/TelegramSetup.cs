using MessengerAutoReply.Delivery;
using MessengerAutoReply.Hosting;
using MessengerAutoReply.Media;
using Microsoft.Extensions.DependencyInjection;
using Telegram.Bot;

namespace MessengerAutoReply.Telegram;

public static class TelegramSetup
{
    public const string HttpClientName = "telegram";

    /// <summary>Registers the channel when TELEGRAM_TOKEN is set; without it nothing is added and sends answer 503.</summary>
    public static IServiceCollection AddTelegramChannel(this IServiceCollection services, ServiceSettings settings)
    {
        if (services.Any(d => d.ServiceType == typeof(TelegramOptions)) || settings.Telegram is not { } options)
        {
            return services;
        }
        services.AddValidatedOptions(options);
        services.AddHttpClient(HttpClientName, http => http.Timeout = options.HttpTimeout)
            // The default handlers log every request URL, and a Bot API URL carries the token in its path.
            .RemoveAllLoggers()
            .AddTypedClient<ITelegramBotClient>(http => new TelegramBotClient(
                new TelegramBotClientOptions(options.Token, IsCloud(options.ApiUrl) ? null : options.ApiUrl.GetLeftPart(UriPartial.Authority))
                {
                    // The send queue handles 429 per chat; the SDK's own retry would hold a queue slot blind.
                    RetryThreshold = 0,
                },
                http));
        services.AddSingleton<TelegramClients>();
        // Cluster mode: one bot-wide budget for every silo (decision 10); one process paces on its own.
        services.AddSingleton(sp => new TelegramSendQueue(
            options,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<TelegramSendQueue>>(),
            settings.Hosting.ClusterMode
                ? count => sp.GetRequiredService<IGrainFactory>().GetGrain<ITelegramPaceGrain>(ITelegramPaceGrain.Key).ReserveAsync(count)
                : null));
        services.AddSingleton<IMessengerGateway, TelegramGateway>();
        services.AddSingleton<IMediaFetcher, TelegramMediaFetcher>();
        services.AddSingleton<TelegramIngress>();
        services.AddSingleton<TelegramUpdatesClient>();
        services.AddSingleton(sp => new TelegramReceiverMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        return services;
    }

    /// <summary>Silo workers: registered after the silo (orleans-notes, 1); idle when Telegram is not configured.</summary>
    public static IServiceCollection AddTelegramWorkers(this IServiceCollection services)
    {
        services.AddHostedService<TelegramReceiverKeeper>();
        return services;
    }

    private static bool IsCloud(Uri url) => url.Host.Equals("api.telegram.org", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// Hands out the typed Bot API client. Long-lived users (the send queue, the receiver grain) ask per call, so
/// the factory's handler rotation (DNS changes) reaches them too.
/// </summary>
public sealed class TelegramClients(IServiceProvider services)
{
    public ITelegramBotClient Get() => services.GetRequiredService<ITelegramBotClient>();
}

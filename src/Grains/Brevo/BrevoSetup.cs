using System.Net.Http;
using MessengerAutoReply.Delivery;
using MessengerAutoReply.Hosting;
using MessengerAutoReply.Media;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using MessengerAutoReply.Security;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace MessengerAutoReply.Brevo;

public static class BrevoSetup
{
    /// <summary>
    /// Brevo's options always (the ingress grain reads the label), and when BREVO_API_KEY is set the gateway,
    /// the file fetcher and their HTTP clients.
    /// </summary>
    public static IServiceCollection AddBrevo(this IServiceCollection services, ServiceSettings settings)
    {
        if (services.Any(d => d.ServiceType == typeof(IOptions<BrevoOptions>)))
        {
            return services;
        }
        var options = settings.Brevo;
        services.AddValidatedOptions(options);
        if (!options.Configured)
        {
            return services;
        }

        services.AddHttpClient(BrevoApiClient.HttpClientName, c =>
            {
                c.BaseAddress = options.ApiUrl;
                c.Timeout = Timeout.InfiniteTimeSpan;
            })
            .AddResilienceHandler("brevo-send", pipeline =>
            {
                // A POST that reached Brevo may have created the message, so only failures that prove the
                // request never left (no connection, no DNS) are retried here. Everything else goes back to
                // the chat grain, which retries Transient results itself; 429 is the send queue's business.
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is HttpRequestException
                    {
                        HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError,
                    }),
                    MaxRetryAttempts = 2,
                    Delay = TimeSpan.FromMilliseconds(500),
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                });
                pipeline.AddTimeout(options.SendTimeout);
            });
        // Downloads are GETs: the standard pipeline's retries of 5xx/429/timeouts are safe.
        // Attachment links come from the webhook body, so from whoever knows its URL: the outbound policy
        // checks every connection (redirects included) and a refused target is never retried.
        services.TryAddSingleton(settings.Outbound);
        services.AddHttpClient(BrevoMediaFetcher.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => GuardedHttpHandler.Create(sp.GetRequiredService<OutboundPolicy>()))
            .AddStandardResilienceHandler(o =>
            {
                o.Retry.ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is not HttpRequestException { InnerException: OutboundRefusedException }
                    && HttpClientResiliencePredicates.IsTransient(args.Outcome));
                o.AttemptTimeout.Timeout = TimeSpan.FromSeconds(30);
                o.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(90);
                o.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(60);
            });

        services.TryAddSingleton<BrevoApiClient>();
        services.TryAddSingleton<BrevoGateway>();
        services.AddSingleton<IMessengerGateway>(sp => sp.GetRequiredService<BrevoGateway>());
        services.AddSingleton<IMediaFetcher, BrevoMediaFetcher>();
        return services;
    }
}

using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace MessengerAutoReply.ApiHost.Hosting;

public static class Telemetry
{
    public const string MeterName = "MessengerAutoReply";

    /// <summary>
    /// Traces and metrics through OpenTelemetry, exported only when OTEL_EXPORTER_OTLP_ENDPOINT is set (as in
    /// eShop's ServiceDefaults). Secrets in URLs are redacted before a span is exported (decision 15).
    /// </summary>
    public static IServiceCollection AddServiceTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        if (string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            return services;
        }
        services.AddOpenTelemetry()
            .WithTracing(tracing => tracing
                .AddSource("Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application")
                .AddAspNetCoreInstrumentation(o => o.EnrichWithHttpRequest = (activity, request) =>
                {
                    activity.SetTag("url.path", Redaction.Path(request.Path));
                    activity.SetTag("url.query", Redaction.Query(request.QueryString));
                })
                .AddHttpClientInstrumentation(o => o.EnrichWithHttpRequestMessage = (activity, request) =>
                {
                    // Bot API URLs carry the token in their path (/bot<token>/method, /file/bot<token>/...).
                    if (request.RequestUri is { } uri && uri.AbsolutePath.Contains("/bot", StringComparison.Ordinal))
                    {
                        activity.SetTag("url.full", Redaction.BotApiUrl(uri));
                        activity.DisplayName = request.Method.Method;
                    }
                })
                .AddOtlpExporter())
            .WithMetrics(metrics => metrics
                .AddMeter(MeterName, "Microsoft.Orleans")
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddOtlpExporter());
        return services;
    }
}

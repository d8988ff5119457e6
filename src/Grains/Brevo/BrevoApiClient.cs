using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using MessengerAutoReply.Delivery;
using Microsoft.Extensions.Options;

namespace MessengerAutoReply.Brevo;

/// <summary>One <c>POST /conversations/messages</c> and what Brevo said about it, rate headers included.</summary>
public sealed class BrevoApiClient(IHttpClientFactory httpClients, IOptions<BrevoOptions> options)
{
    public const string HttpClientName = "brevo-api";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public async Task<BrevoSendOutcome> SendAgentMessageAsync(string visitorId, string text, CancellationToken cancellationToken)
    {
        var o = options.Value;
        using var request = new HttpRequestMessage(HttpMethod.Post, "conversations/messages")
        {
            Content = JsonContent.Create(new SendBody(visitorId, text, o.AgentId, o.ReceivedFrom), options: Json),
        };
        request.Headers.Add("api-key", o.ApiKey);
        request.Headers.Accept.ParseAdd("application/json");
        // Headers first: a 2xx whose body then breaks off has still delivered the message.
        using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var budget = RateBudget.From(response);
        var status = (int)response.StatusCode;
        string body;
        try
        {
            body = await response.Content.ReadAsStringAsync(cancellationToken);
        }
        catch (Exception ex) when (response.IsSuccessStatusCode && !cancellationToken.IsCancellationRequested)
        {
            return new BrevoSendOutcome(Unreadable(response, status, ex.Message), budget, false);
        }
        if (response.IsSuccessStatusCode)
        {
            // The id is what recognizes the echo and allows later edits; without one the message is still sent.
            return new BrevoSendOutcome(TryRead(body, "id") is { } id ? DeliveryResult.Success(id) : Unreadable(response, status, "no message id in it"), budget, false);
        }
        if (status == StatusCodes.TooManyRequests)
        {
            return new BrevoSendOutcome(DeliveryResult.Transient("Brevo: too many requests (429)"), budget, true);
        }
        var message = TryRead(body, "message") ?? response.ReasonPhrase ?? "no message";
        var code = TryRead(body, "code");
        var what = $"Brevo answered {status}{(code is null ? "" : $" {code}")}: {message}";
        if (status >= 500 || status == (int)HttpStatusCode.RequestTimeout)
        {
            return new BrevoSendOutcome(DeliveryResult.Transient(what), budget, false);
        }
        var hint = status switch
        {
            401 when message.Contains("IP address", StringComparison.OrdinalIgnoreCase) =>
                " (allow this server's IP in Brevo's Security → Authorised IPs, or turn IP blocking off)",
            401 => " (check BREVO_API_KEY)",
            400 when message.Contains("agent", StringComparison.OrdinalIgnoreCase) => " (check BREVO_AGENT_ID)",
            _ => "",
        };
        return new BrevoSendOutcome(DeliveryResult.Rejected(what + hint), budget, false);
    }

    /// <summary>Brevo took the message; never send it again. Its request id stands in for the unknown message id.</summary>
    private static DeliveryResult Unreadable(HttpResponseMessage response, int status, string why) => DeliveryResult.SentWithoutId(
        $"Brevo answered {status} with a body that could not be read ({why}): the message was delivered, its message id is unknown.",
        $"brevo-request:{Header(response, "sib-request-id") ?? Guid.NewGuid().ToString("N")}");

    private static string? TryRead(string body, string property)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private sealed record SendBody(string VisitorId, string Text, string AgentId, string ReceivedFrom);

    private static class StatusCodes
    {
        public const int TooManyRequests = 429;
    }
}

/// <summary>A send's result, the budget Brevo reported, and whether it was refused for the rate limit.</summary>
public sealed record BrevoSendOutcome(DeliveryResult Result, RateBudget? Budget, bool RateLimited);

/// <summary>The <c>x-sib-ratelimit-*</c> headers: requests left in the window and seconds until it resets.</summary>
public sealed record RateBudget(int? Limit, int? Remaining, TimeSpan? Reset)
{
    public static RateBudget? From(HttpResponseMessage response)
    {
        var limit = Int(BrevoApiClient.Header(response, "x-sib-ratelimit-limit"));
        var remaining = Int(BrevoApiClient.Header(response, "x-sib-ratelimit-remaining"));
        var reset = BrevoApiClient.Header(response, "x-sib-ratelimit-reset") is { } raw
            && double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0
            ? TimeSpan.FromSeconds(seconds)
            : (TimeSpan?)null;
        return limit is null && remaining is null && reset is null ? null : new RateBudget(limit, remaining, reset);
    }

    private static int? Int(string? raw) =>
        int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;
}

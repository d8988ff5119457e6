using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Telegram.Bot;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace MessengerAutoReply.Telegram;

/// <summary>
/// getUpdates without the SDK's whole-batch deserialization: the SDK reads an answer as one <c>Update[]</c>, so one
/// update it cannot read would fail every poll and hold the offset for good, and its raw JSON would be gone. Here
/// each update is read on its own; one that cannot be read keeps its id and JSON so the receiver can park it.
/// </summary>
public sealed partial class TelegramUpdatesClient(IHttpClientFactory http, TelegramOptions options)
{
    private static readonly string[] AllowedUpdateNames = [.. TelegramUpdateMapper.AllowedUpdates.Select(Name)];

    private readonly Uri _endpoint = new(
        (options.ApiUrl.Host.Equals("api.telegram.org", StringComparison.OrdinalIgnoreCase) ? "https://api.telegram.org" : options.ApiUrl.GetLeftPart(UriPartial.Authority))
        + "/bot" + options.Token + "/getUpdates");

    public async Task<IReadOnlyList<RawUpdate>> GetUpdatesAsync(int? offset, CancellationToken ct)
    {
        var client = http.CreateClient(TelegramSetup.HttpClientName);
        var request = new GetUpdatesBody(offset, options.PollLimit, options.PollTimeoutSeconds, AllowedUpdateNames);
        using var response = await client.PostAsJsonAsync(_endpoint, request, BodyContext.Default.GetUpdatesBody, ct);
        JsonElement body;
        try
        {
            body = await response.Content.ReadFromJsonAsync(BodyContext.Default.JsonElement, ct);
        }
        catch (JsonException)
        {
            // Not a Bot API answer at all (a proxy's error page, a web server at TELEGRAM_API_URL).
            throw new TelegramPollException((int)response.StatusCode, response.ReasonPhrase ?? "unreadable answer");
        }
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("ok", out var ok) || ok.ValueKind != JsonValueKind.True)
        {
            var code = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("error_code", out var c) && c.TryGetInt32(out var n) ? n : (int)response.StatusCode;
            var description = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String
                ? d.GetString()! : response.ReasonPhrase ?? "error";
            TimeSpan? retryAfter = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("parameters", out var p) && p.ValueKind == JsonValueKind.Object
                && p.TryGetProperty("retry_after", out var r) && r.TryGetInt32(out var seconds) ? TimeSpan.FromSeconds(seconds) : null;
            throw new TelegramPollException(code == 0 ? (int)HttpStatusCode.BadGateway : code, description, retryAfter);
        }
        if (!body.TryGetProperty("result", out var result) || result.ValueKind != JsonValueKind.Array)
        {
            throw new TelegramPollException((int)response.StatusCode, "answer without a result array");
        }
        var updates = new List<RawUpdate>(result.GetArrayLength());
        foreach (var item in result.EnumerateArray())
        {
            // Without a readable update_id nothing can be confirmed: the whole answer is a failed poll (never seen from Telegram).
            if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("update_id", out var idElement) || !idElement.TryGetInt32(out var id))
            {
                throw new TelegramPollException((int)response.StatusCode, "an update without an update_id");
            }
            var json = item.GetRawText();
            try
            {
                updates.Add(new RawUpdate(id, json, item.Deserialize<Update>(JsonBotAPI.Options) ?? throw new JsonException("null update"), null));
            }
            catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or FormatException or OverflowException)
            {
                updates.Add(new RawUpdate(id, json, null, ex));
            }
        }
        return updates;
    }

    private static string Name(UpdateType type) => JsonNamingPolicy.SnakeCaseLower.ConvertName(type.ToString());

    internal sealed record GetUpdatesBody(
        [property: JsonPropertyName("offset"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Offset,
        [property: JsonPropertyName("limit")] int Limit,
        [property: JsonPropertyName("timeout")] int Timeout,
        [property: JsonPropertyName("allowed_updates")] string[] AllowedUpdates);

    [JsonSerializable(typeof(GetUpdatesBody))]
    [JsonSerializable(typeof(JsonElement))]
    internal sealed partial class BodyContext : JsonSerializerContext;
}

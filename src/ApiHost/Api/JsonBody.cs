using System.Text.Json;
using MessengerAutoReply.Archive;
using Microsoft.AspNetCore.Http.Features;

namespace MessengerAutoReply.ApiHost.Api;

/// <summary>
/// Reads a small JSON body by hand so every failure (size, syntax, wrong type) becomes a problem+json answer
/// that names the field, instead of the framework's empty 400.
/// </summary>
public static class JsonBody
{
    public const long DefaultLimit = 64 * 1024;

    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpContext context, long limit = DefaultLimit)
        where T : class
    {
        var request = context.Request;
        if (request.ContentLength > limit)
        {
            return (null, Problems.TooLarge(limit));
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit;
        }
        if (!request.HasJsonContentType())
        {
            return (null, TypedResults.Problem(detail: "Send the body as JSON with Content-Type: application/json.",
                statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type"));
        }
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(request.Body, ArchiveJson.Options, context.RequestAborted);
            return value is null ? (null, Problems.BadRequest("The body must be a JSON object.")) : (value, null);
        }
        catch (JsonException ex)
        {
            var field = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? null : ex.Path.TrimStart('$', '.');
            var detail = field is not null && ex.Message.Contains("could not be converted", StringComparison.Ordinal)
                ? $"{field} has the wrong type."
                : $"The body is not valid JSON{(field is null ? "" : $" (at {field})")}: {FirstSentence(ex.Message)}";
            return (null, Problems.BadRequest(detail));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, Problems.TooLarge(limit));
        }
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..(end + 1)] : message;
    }
}

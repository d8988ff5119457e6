using System.Text.Json.Nodes;

namespace MessengerAutoReply.Fakes.OpenAI;

/// <summary>Groups of routes; used for latency, failure injection and counters.</summary>
public enum FakeOpenAIEndpoint
{
    /// <summary><c>POST /v1/responses</c> and <c>GET /v1/responses/{id}</c>.</summary>
    Responses,
    /// <summary><c>/v1/conversations</c> and <c>/v1/conversations/{id}</c> (create, get, update, delete).</summary>
    Conversations,
    /// <summary><c>/v1/conversations/{id}/items</c> and <c>/items/{item_id}</c>.</summary>
    ConversationItems,
    /// <summary><c>POST /v1/audio/transcriptions</c>.</summary>
    Transcriptions,
    /// <summary><c>POST /v1/chat/completions</c>.</summary>
    ChatCompletions,
    /// <summary><c>GET /v1/models</c>.</summary>
    Models,
    /// <summary>Anything else (answered with OpenAI's "Invalid URL" 404).</summary>
    Other,
}

/// <summary>One message the model "sees", flattened to text.</summary>
public sealed record FakeMessage(string Role, string Text);

/// <summary>An image part found in a request (Responses <c>input_image</c> or Chat <c>image_url</c>).</summary>
public sealed record FakeImageInput(
    FakeOpenAIEndpoint Endpoint,
    string? Url,
    string? FileId,
    string? Detail,
    string? MediaType,
    byte[]? Data)
{
    public bool IsDataUrl => Url?.StartsWith("data:", StringComparison.OrdinalIgnoreCase) == true;
}

/// <summary>What one model run (a Responses create or a chat completion) was asked to answer.</summary>
public sealed record FakeRunRequest
{
    public required FakeOpenAIEndpoint Endpoint { get; init; }
    /// <summary><c>resp_…</c> or <c>chatcmpl-…</c>: the id the reply will carry.</summary>
    public required string Id { get; init; }
    public required string Model { get; init; }
    public string? ConversationId { get; init; }
    public string? PreviousResponseId { get; init; }
    public string? Instructions { get; init; }
    /// <summary>
    /// Texts of the user messages in THIS request's own input that come after its last assistant message
    /// (for a conversation turn: the new user input; for stateless chat: the pending turn, not the history).
    /// </summary>
    public required IReadOnlyList<string> UserTexts { get; init; }
    /// <summary>Whole context as the model would see it: prior conversation items, then this request's input.</summary>
    public required IReadOnlyList<FakeMessage> Messages { get; init; }
    public required IReadOnlyList<FakeImageInput> Images { get; init; }
    /// <summary><c>vector_store_ids</c> of every <c>file_search</c> tool in the request.</summary>
    public required IReadOnlyList<string> VectorStoreIds { get; init; }
    public int? MaxOutputTokens { get; init; }
    public bool? Store { get; init; }
    public required IReadOnlyDictionary<string, string> Metadata { get; init; }
    /// <summary>The raw JSON body (a private copy).</summary>
    public required JsonObject Body { get; init; }
}

public sealed record FakeUsage(int InputTokens, int OutputTokens, int TotalTokens);

/// <summary>A finished run (HTTP 200 from Responses or Chat Completions).</summary>
public sealed record FakeRunRecord(FakeRunRequest Request, string Status, string? AnswerText, FakeUsage Usage, DateTimeOffset CompletedAt);

/// <summary>A transcription request the fake answered.</summary>
public sealed record FakeTranscriptionRequest(
    string FileName,
    byte[] Bytes,
    string? FileContentType,
    string Model,
    string? Language,
    string? Prompt,
    string? ResponseFormat)
{
    public int ByteCount => Bytes.Length;
}

/// <summary>A conversation item as stored by the fake (flattened view plus the JSON the API returns).</summary>
public sealed record FakeConversationItem(string Id, string Type, string? Role, string? Status, string Text, JsonObject Json);

/// <summary>
/// A request as received. <see cref="StatusCode"/> is 0 while it is still being handled.
/// </summary>
public sealed class FakeRecordedRequest
{
    private int _statusCode;
    private string? _errorCode;

    internal FakeRecordedRequest(
        long sequence, string method, string path, string query, FakeOpenAIEndpoint endpoint,
        string? apiKey, IReadOnlyDictionary<string, string> headers, string? rawBody, JsonNode? body)
    {
        Sequence = sequence;
        Method = method;
        Path = path;
        Query = query;
        Endpoint = endpoint;
        ApiKey = apiKey;
        Headers = headers;
        RawBody = rawBody;
        Body = body;
        ReceivedAt = DateTimeOffset.UtcNow;
    }

    public long Sequence { get; }
    public string Method { get; }
    /// <summary>Path without query, e.g. <c>/v1/conversations/conv_1/items</c>.</summary>
    public string Path { get; }
    /// <summary>Query string including the leading <c>?</c>, or empty.</summary>
    public string Query { get; }
    public FakeOpenAIEndpoint Endpoint { get; }
    /// <summary>The bearer token sent, or null when none.</summary>
    public string? ApiKey { get; }
    public IReadOnlyDictionary<string, string> Headers { get; }
    /// <summary>Body text for JSON requests (null for multipart and bodiless requests).</summary>
    public string? RawBody { get; }
    /// <summary>Parsed JSON body, or null when absent / not JSON.</summary>
    public JsonNode? Body { get; }
    /// <summary>Non-file multipart fields (transcriptions), else null.</summary>
    public IReadOnlyDictionary<string, string>? Form { get; internal set; }
    public DateTimeOffset ReceivedAt { get; }

    public int StatusCode { get => Volatile.Read(ref _statusCode); internal set => Volatile.Write(ref _statusCode, value); }
    /// <summary><c>error.code</c> (or <c>error.type</c> when code is null) of an error reply.</summary>
    public string? ErrorCode { get => Volatile.Read(ref _errorCode); internal set => Volatile.Write(ref _errorCode, value); }
    public bool Completed => StatusCode != 0;

    public override string ToString() => $"{Method} {Path}{Query} -> {StatusCode}";
}

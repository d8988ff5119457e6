using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics.Metrics;
using System.Text.Json;
using MessengerAutoReply.Media;
using Microsoft.Extensions.Logging;
using OpenAI;
using OpenAI.Audio;
using OpenAI.Chat;
using OpenAI.Conversations;
using OpenAI.Responses;

namespace MessengerAutoReply.Ai;

/// <summary>
/// The reply engine on the official OpenAI SDK: Responses + Conversations (the conversation lives at OpenAI),
/// or Chat Completions for compatible servers. The SDK's own retries are off: its default policy retries
/// without backoff (reference, 8.8), so this class retries with exponential backoff that honours retry-after.
/// </summary>
public sealed partial class OpenAIReplyEngine : IReplyEngine
{
    private static readonly string[] AcceptedAudioExtensions = [".flac", ".m4a", ".mp3", ".mp4", ".mpeg", ".mpga", ".oga", ".ogg", ".wav", ".webm"];

    private readonly AiOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<OpenAIReplyEngine> _logger;
    private readonly ResponsesClient _responses;
    private readonly ConversationClient _conversations;
    private readonly AudioClient _audio;
    private readonly ChatClient _chat;
    private readonly ChatClient _vision;
    private readonly Counter<long> _tokens;
    private long _lastConfigurationLog = long.MinValue;

    public OpenAIReplyEngine(AiOptions options, TimeProvider time, ILogger<OpenAIReplyEngine> logger, IMeterFactory meters)
    {
        _options = options;
        _time = time;
        _logger = logger;
        var key = new ApiKeyCredential(options.ApiKey!);
        var noRetries = new ClientRetryPolicy(maxRetries: 0);
        _responses = new ResponsesClient(key, new ResponsesClientOptions { Endpoint = options.BaseUrl, RetryPolicy = noRetries, NetworkTimeout = options.RequestTimeout });
        _conversations = new ConversationClient(key, new ConversationClientOptions { Endpoint = options.BaseUrl, RetryPolicy = noRetries, NetworkTimeout = options.RequestTimeout });
        var common = new OpenAIClientOptions { Endpoint = options.BaseUrl, RetryPolicy = noRetries, NetworkTimeout = options.RequestTimeout };
        _audio = new AudioClient(options.AudioModel, key, common);
        _chat = new ChatClient(options.Model, key, common);
        _vision = new ChatClient(options.VisionModel, key, common);
        _tokens = meters.Create("MessengerAutoReply").CreateCounter<long>("messenger.ai.tokens", "{token}", "Tokens used by AI runs, by direction");
    }

    public async Task<ReplyOutcome> AnswerAsync(ReplyRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var outcome = _options.Style == ApiStyle.Chat
                ? await AnswerWithChatAsync(request, cancellationToken)
                : await AnswerWithConversationAsync(request, cancellationToken);
            if (outcome.Succeeded)
            {
                _tokens.Add(outcome.InputTokens, new KeyValuePair<string, object?>("direction", "input"));
                _tokens.Add(outcome.OutputTokens, new KeyValuePair<string, object?>("direction", "output"));
                LogUsage(request.ChatId, request.RunId, outcome.InputTokens, outcome.OutputTokens);
            }
            return outcome;
        }
        catch (ClientResultException ex)
        {
            return ReplyOutcome.Failure(Describe(ex), request.ConversationId);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutException or AggregateException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return ReplyOutcome.Failure($"OpenAI could not be reached: {ex.Message}", request.ConversationId);
        }
    }

    private async Task<ReplyOutcome> AnswerWithConversationAsync(ReplyRequest request, CancellationToken ct)
    {
        var conversationId = request.ConversationId;
        var resume = request.Resume;
        if (conversationId is null || !conversationId.StartsWith("conv_", StringComparison.Ordinal))
        {
            // No conversation yet, or a dead Assistants thread_ id from the original service: start one,
            // seeded with the recent history so the assistant keeps the context.
            conversationId = await CreateConversationAsync(request, ct);
            resume = false;
            if (request.ConversationStarted is { } started)
            {
                await started(conversationId);
            }
        }

        var input = string.Join("\n\n", request.Inputs);
        for (var attempt = 0; ; attempt++)
        {
            if (resume && await FindAnswerAsync(conversationId, input, ct) is { } existing)
            {
                return new ReplyOutcome { Text = existing, ConversationId = conversationId };
            }
            try
            {
                var options = new CreateResponseOptions
                {
                    Model = _options.Model,
                    Instructions = _options.Instructions,
                    ConversationOptions = new ResponseConversationOptions(conversationId),
                    MaxOutputTokenCount = _options.MaxOutputTokens,
                    StoredOutputEnabled = true,
                };
                options.InputItems.Add(ResponseItem.CreateUserMessageItem(input));
                options.Metadata["chatId"] = request.ChatId;
                options.Metadata["runId"] = request.RunId;
                if (_options.VectorStoreIds.Count > 0)
                {
                    options.Tools.Add(ResponseTool.CreateFileSearchTool(_options.VectorStoreIds));
                }
                ResponseResult result = await _responses.CreateResponseAsync(options, ct);
                var text = result.GetOutputText();
                if (string.IsNullOrWhiteSpace(text))
                {
                    return ReplyOutcome.Failure($"OpenAI returned no text (status {result.Status}).", conversationId);
                }
                return new ReplyOutcome
                {
                    Text = text.Trim(),
                    ConversationId = conversationId,
                    InputTokens = result.Usage?.InputTokenCount ?? 0,
                    OutputTokens = result.Usage?.OutputTokenCount ?? 0,
                };
            }
            catch (ClientResultException ex) when (IsConversationLocked(ex) && attempt < _options.MaxRetries * 3)
            {
                // Another response (ours, from before a crash) is running in this conversation: wait it out, then
                // look for its answer before asking again (decision 7).
                resume = true;
                await Task.Delay(Backoff(attempt, null), _time, ct);
            }
            catch (ClientResultException ex) when (IsRetryable(ex) && attempt < _options.MaxRetries)
            {
                resume = true;
                await Task.Delay(Backoff(attempt, RetryAfter(ex)), _time, ct);
            }
            catch (ClientResultException ex)
            {
                LogConfigurationProblem(ex);
                throw;
            }
        }
    }

    private async Task<string> CreateConversationAsync(ReplyRequest request, CancellationToken ct)
    {
        var options = new ConversationCreationOptions();
        options.Metadata["chatId"] = request.ChatId;
        foreach (var item in request.History.TakeLast(20))
        {
            options.Items.Add(item.FromCustomer ? ResponseItem.CreateUserMessageItem(item.Text) : ResponseItem.CreateAssistantMessageItem(item.Text));
        }
        var conversation = await WithRetries(() => _conversations.CreateConversationAsync(options, ct), ct);
        return conversation.Value.Id;
    }

    /// <summary>The assistant's answer to <paramref name="input"/> if the conversation already has it.</summary>
    private async Task<string?> FindAnswerAsync(string conversationId, string input, CancellationToken ct)
    {
        var pages = _conversations.GetConversationItemsAsync(conversationId, limit: 20, order: "desc", after: null, include: null, options: new RequestOptions { CancellationToken = ct });
        await foreach (var page in pages.GetRawPagesAsync())
        {
            using var document = JsonDocument.Parse(page.GetRawResponse().Content);
            string? answer = null;
            foreach (var item in document.RootElement.GetProperty("data").EnumerateArray())
            {
                if (!item.TryGetProperty("type", out var type) || type.GetString() != "message")
                {
                    continue;
                }
                var role = item.GetProperty("role").GetString();
                var text = string.Concat(item.GetProperty("content").EnumerateArray()
                    .Where(p => p.TryGetProperty("text", out _))
                    .Select(p => p.GetProperty("text").GetString()));
                if (role == "assistant")
                {
                    // Newest first: the first assistant message seen answers the user message that follows it.
                    answer ??= text;
                }
                else if (role == "user")
                {
                    return text == input ? answer : null;
                }
            }
            return null;
        }
        return null;
    }

    private async Task<ReplyOutcome> AnswerWithChatAsync(ReplyRequest request, CancellationToken ct)
    {
        var messages = new List<OpenAI.Chat.ChatMessage> { new SystemChatMessage(_options.Instructions) };
        foreach (var item in request.History.TakeLast(_options.HistoryMessages))
        {
            messages.Add(item.FromCustomer ? new UserChatMessage(item.Text) : new AssistantChatMessage(item.Text));
        }
        messages.Add(new UserChatMessage(string.Join("\n\n", request.Inputs)));
        var completion = await WithRetries(() => _chat.CompleteChatAsync(messages, new ChatCompletionOptions { MaxOutputTokenCount = _options.MaxOutputTokens }, ct), ct);
        var text = completion.Value.Content.Count > 0 ? completion.Value.Content[0].Text : null;
        return string.IsNullOrWhiteSpace(text)
            ? ReplyOutcome.Failure($"The model returned no text (finish reason {completion.Value.FinishReason}).")
            : new ReplyOutcome
            {
                Text = text.Trim(),
                ConversationId = request.ConversationId,
                InputTokens = completion.Value.Usage?.InputTokenCount ?? 0,
                OutputTokens = completion.Value.Usage?.OutputTokenCount ?? 0,
            };
    }

    public async Task<string?> TranscribeAsync(MediaContent audio, CancellationToken cancellationToken)
    {
        // The service reads the format from the file name; Telegram's voice notes are Ogg/Opus named .oga,
        // and ".opus" is refused (reference, 5).
        var name = audio.FileName;
        var extension = Path.GetExtension(name).ToLowerInvariant();
        if (!AcceptedAudioExtensions.Contains(extension))
        {
            name = (audio.MimeType, extension) switch
            {
                (_, ".opus") or ("audio/ogg", _) or ("audio/opus", _) => "voice.ogg",
                ("audio/mpeg", _) => "audio.mp3",
                ("audio/mp4", _) or ("audio/x-m4a", _) => "audio.m4a",
                ("audio/wav", _) or ("audio/x-wav", _) => "audio.wav",
                _ => "audio.ogg",
            };
        }
        using var stream = new MemoryStream(audio.Bytes.ToArray(), writable: false);
        var transcription = await WithRetries(() => _audio.TranscribeAudioAsync(stream, name, new AudioTranscriptionOptions(), cancellationToken), cancellationToken, rewind: stream);
        var text = transcription.Value.Text?.Trim();
        return string.IsNullOrEmpty(text) ? null : text;
    }

    public async Task<string?> DescribeAsync(MediaContent image, string? caption, CancellationToken cancellationToken)
    {
        var prompt = "Describe this image in one to three sentences for a customer-support operator and assistant: what it shows and any text in it."
            + (string.IsNullOrWhiteSpace(caption) ? "" : $" The customer's caption: \"{caption}\".");
        var message = new UserChatMessage(
            ChatMessageContentPart.CreateTextPart(prompt),
            ChatMessageContentPart.CreateImagePart(BinaryData.FromBytes(image.Bytes), image.MimeType, ChatImageDetailLevel.Auto));
        var completion = await WithRetries(() => _vision.CompleteChatAsync([message], new ChatCompletionOptions { MaxOutputTokenCount = 300 }, cancellationToken), cancellationToken);
        var text = completion.Value.Content.Count > 0 ? completion.Value.Content[0].Text?.Trim() : null;
        return string.IsNullOrEmpty(text) ? null : text;
    }

    private async Task<T> WithRetries<T>(Func<Task<T>> call, CancellationToken ct, Stream? rewind = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (ClientResultException ex) when (IsRetryable(ex) && attempt < _options.MaxRetries)
            {
                await Task.Delay(Backoff(attempt, RetryAfter(ex)), _time, ct);
            }
            catch (ClientResultException ex)
            {
                LogConfigurationProblem(ex);
                throw;
            }
            rewind?.Seek(0, SeekOrigin.Begin);
        }
    }

    private TimeSpan Backoff(int attempt, TimeSpan? retryAfter)
    {
        var exponential = TimeSpan.FromTicks(Math.Min(_options.RetryBase.Ticks * (1L << Math.Min(attempt, 20)), _options.RetryMax.Ticks));
        // Full jitter would spread herds better, but retry-after is a floor the server asked for.
        return retryAfter is { } floor && floor > exponential ? floor : exponential;
    }

    private static TimeSpan? RetryAfter(ClientResultException ex)
    {
        var response = ex.GetRawResponse();
        if (response is null)
        {
            return null;
        }
        if (response.Headers.TryGetValue("retry-after-ms", out var ms) && double.TryParse(ms, out var millis))
        {
            return TimeSpan.FromMilliseconds(millis);
        }
        if (response.Headers.TryGetValue("retry-after", out var seconds) && double.TryParse(seconds, out var secs))
        {
            return TimeSpan.FromSeconds(secs);
        }
        return null;
    }

    private static string? ErrorCode(ClientResultException ex)
    {
        try
        {
            var content = ex.GetRawResponse()?.Content;
            if (content is null)
            {
                return null;
            }
            using var document = JsonDocument.Parse(content);
            return document.RootElement.TryGetProperty("error", out var error) && error.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String
                ? code.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool IsConversationLocked(ClientResultException ex) => ex.Status == 400 && ErrorCode(ex) == "conversation_locked";

    private static bool IsRetryable(ClientResultException ex) =>
        ex.Status is 408 or 409 or 500 or 502 or 503 or 504 or 0 || (ex.Status == 429 && ErrorCode(ex) != "insufficient_quota");

    private static string Describe(ClientResultException ex)
    {
        var firstLine = ex.Message.Split('\n', 2)[0].Trim();
        return ex.Status switch
        {
            401 => $"OpenAI refused the key (OPENAI_API_KEY): {firstLine}",
            404 => $"OpenAI does not know the model or conversation (OPENAI_MODEL?): {firstLine}",
            429 when ErrorCode(ex) == "insufficient_quota" => "OpenAI: the account is out of credit (insufficient_quota).",
            429 => $"OpenAI rate limit reached after retries: {firstLine}",
            _ => $"OpenAI answered {ex.Status}: {firstLine}",
        };
    }

    /// <summary>A wrong key or model fails every message: say so once a minute, not once per message.</summary>
    private void LogConfigurationProblem(ClientResultException ex)
    {
        if (ex.Status is not (401 or 403 or 404) && ErrorCode(ex) != "insufficient_quota")
        {
            return;
        }
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastConfigurationLog);
        if (last != long.MinValue && _time.GetElapsedTime(last, now) < TimeSpan.FromMinutes(1))
        {
            return;
        }
        if (Interlocked.CompareExchange(ref _lastConfigurationLog, now, last) == last)
        {
            LogConfiguration(Describe(ex));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "AI run {RunId} of chat {ChatId} used {InputTokens} input and {OutputTokens} output tokens")]
    private partial void LogUsage(string chatId, string runId, long inputTokens, long outputTokens);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Problem} (said at most once a minute)")]
    private partial void LogConfiguration(string problem);
}

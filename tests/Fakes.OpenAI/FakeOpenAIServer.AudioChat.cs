using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace MessengerAutoReply.Fakes.OpenAI;

public sealed partial class FakeOpenAIServer
{
    // The list the service itself prints when it rejects a file (reference §5); note: no "opus".
    private static readonly string[] AudioExtensions = ["flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm"];

    private static readonly string[] ChatFinishReasons = ["stop", "length", "tool_calls", "content_filter", "function_call"];

    // ---------------------------------------------------------------- POST /v1/audio/transcriptions

    private async Task TranscribeAsync(HttpContext ctx)
    {
        if (!ctx.Request.HasFormContentType)
        {
            await OpenAIWire.WriteErrorAsync(ctx, 400,
                "Invalid Content-Type header (" + ctx.Request.ContentType + "), expected multipart/form-data. (HINT: If you're using curl, you can pass -H 'Content-Type: multipart/form-data')",
                OpenAIWire.InvalidRequest, null, null);
            return;
        }
        var form = await ctx.Request.ReadFormAsync(ctx.RequestAborted);
        var fields = form.Keys.ToDictionary(k => k, k => form[k].ToString(), StringComparer.Ordinal);
        if (ctx.Items[RecordKey] is FakeRecordedRequest rec)
        {
            rec.Form = fields;
        }

        var file = form.Files.GetFile("file");
        if (file is null)
        {
            await WriteMissingParameterAsync(ctx, "file");
            return;
        }
        if (!fields.TryGetValue("model", out var model) || model.Length == 0)
        {
            await OpenAIWire.WriteErrorAsync(ctx, 400, "you must provide a model parameter", OpenAIWire.InvalidRequest, null, null);
            return;
        }
        if (!IsKnownModel(model))
        {
            await WriteModelNotFoundAsync(ctx, model);
            return;
        }
        if (file.Length > MaxAudioBytes)
        {
            // 413 vs 400 is unverified (reference §10); 413 is what an oversize body gets from the front end.
            await OpenAIWire.WriteErrorAsync(ctx, 413,
                $"Maximum content size limit ({MaxAudioBytes.ToString(CultureInfo.InvariantCulture)}) exceeded ({file.Length.ToString(CultureInfo.InvariantCulture)} bytes read)",
                "server_error", null, null);
            return;
        }
        var ext = Path.GetExtension(file.FileName).TrimStart('.').ToLowerInvariant();
        if (!AudioExtensions.Contains(ext))
        {
            await OpenAIWire.WriteErrorAsync(ctx, 400,
                "Invalid file format. Supported formats: [" + string.Join(", ", AudioExtensions.Select(e => $"'{e}'")) + "]",
                OpenAIWire.InvalidRequest, null, null);
            return;
        }

        byte[] bytes;
        using (var ms = new MemoryStream())
        {
            await file.CopyToAsync(ms, ctx.RequestAborted);
            bytes = ms.ToArray();
        }
        var request = new FakeTranscriptionRequest(
            file.FileName,
            bytes,
            string.IsNullOrEmpty(file.ContentType) ? null : file.ContentType,
            model,
            fields.GetValueOrDefault("language"),
            fields.GetValueOrDefault("prompt"),
            fields.GetValueOrDefault("response_format"));

        await DelayAsync(TranscriptionLatency, ctx);
        var text = TranscriptFactory(request);
        lock (_gate)
        {
            _transcriptions.Add(request);
        }

        switch (request.ResponseFormat ?? "json")
        {
            case "text":
                await WriteTextAsync(ctx, "text/plain; charset=utf-8", text + "\n");
                return;
            case "srt":
                await WriteTextAsync(ctx, "text/plain; charset=utf-8", $"1\n00:00:00,000 --> 00:00:01,000\n{text}\n\n");
                return;
            case "vtt":
                await WriteTextAsync(ctx, "text/plain; charset=utf-8", $"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n{text}\n\n");
                return;
            case "verbose_json":
                await OpenAIWire.WriteJsonAsync(ctx, 200, new JsonObject
                {
                    ["task"] = "transcribe",
                    ["language"] = request.Language ?? "english",
                    ["duration"] = 1.0,
                    ["text"] = text,
                    ["segments"] = new JsonArray(),
                    ["usage"] = new JsonObject { ["type"] = "duration", ["seconds"] = 1 },
                });
                return;
            default:
                var audioTokens = Math.Max(1, bytes.Length / 1000);
                var textTokens = OpenAIWire.EstimateTokens(text);
                JsonObject usage = model == "whisper-1"
                    ? new JsonObject { ["type"] = "duration", ["seconds"] = Math.Max(1, bytes.Length / 16000) }
                    : new JsonObject
                    {
                        ["type"] = "tokens",
                        ["input_tokens"] = audioTokens,
                        ["input_token_details"] = new JsonObject { ["text_tokens"] = 0, ["audio_tokens"] = audioTokens },
                        ["output_tokens"] = textTokens,
                        ["total_tokens"] = audioTokens + textTokens,
                    };
                await OpenAIWire.WriteJsonAsync(ctx, 200, new JsonObject { ["text"] = text, ["usage"] = usage });
                return;
        }
    }

    private static async Task WriteTextAsync(HttpContext ctx, string contentType, string text)
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = contentType;
        var bytes = Encoding.UTF8.GetBytes(text);
        ctx.Response.ContentLength = bytes.Length;
        await ctx.Response.Body.WriteAsync(bytes);
    }

    // ---------------------------------------------------------------- POST /v1/chat/completions

    private async Task ChatCompletionAsync(HttpContext ctx, JsonObject body)
    {
        var model = OpenAIWire.GetString(body["model"]);
        if (model is null)
        {
            await WriteMissingParameterAsync(ctx, "model");
            return;
        }
        if (body["messages"] is not JsonArray messagesNode)
        {
            await WriteMissingParameterAsync(ctx, "messages");
            return;
        }
        if (!IsKnownModel(model))
        {
            await WriteModelNotFoundAsync(ctx, model);
            return;
        }

        var messages = new List<(string Role, IReadOnlyList<string> Texts)>();
        var images = new List<FakeImageInput>();
        for (var i = 0; i < messagesNode.Count; i++)
        {
            if (messagesNode[i] is not JsonObject m || OpenAIWire.GetString(m["role"]) is not { } role)
            {
                await OpenAIWire.WriteErrorAsync(ctx, 400, $"Missing required parameter: 'messages[{i}].role'.",
                    OpenAIWire.InvalidRequest, $"messages[{i}].role", "missing_required_parameter");
                return;
            }
            var texts = new List<string>();
            switch (m["content"])
            {
                case JsonValue v when OpenAIWire.GetString(v) is { } text:
                    texts.Add(text);
                    break;
                case JsonArray parts:
                    foreach (var p in parts.OfType<JsonObject>())
                    {
                        switch (OpenAIWire.GetString(p["type"]))
                        {
                            case "text":
                                texts.Add(OpenAIWire.GetString(p["text"]) ?? "");
                                break;
                            case "image_url":
                                var imageUrl = p["image_url"];
                                var url = imageUrl is JsonObject io ? OpenAIWire.GetString(io["url"]) : OpenAIWire.GetString(imageUrl);
                                var detail = imageUrl is JsonObject io2 ? OpenAIWire.GetString(io2["detail"]) : null;
                                if (url is null)
                                {
                                    await OpenAIWire.WriteErrorAsync(ctx, 400, $"Missing required parameter: 'messages[{i}].content.image_url.url'.",
                                        OpenAIWire.InvalidRequest, $"messages[{i}].content.image_url.url", "missing_required_parameter");
                                    return;
                                }
                                var (mediaType, data) = OpenAIWire.ParseDataUrl(url);
                                images.Add(new FakeImageInput(FakeOpenAIEndpoint.ChatCompletions, url, null, detail ?? "auto", mediaType, data));
                                break;
                        }
                    }
                    break;
            }
            messages.Add((role, texts));
        }

        var id = "chatcmpl-" + OpenAIWire.NewId("", 29);
        var request = new FakeRunRequest
        {
            Endpoint = FakeOpenAIEndpoint.ChatCompletions,
            Id = id,
            Model = model,
            Instructions = string.Join("\n", messages.Where(m => m.Role is "system" or "developer").SelectMany(m => m.Texts)) is { Length: > 0 } sys ? sys : null,
            UserTexts = PendingUserTexts(messages.Select(m => ((string?)m.Role, m.Texts))),
            Messages = [.. messages.Where(m => m.Role is not ("system" or "developer")).Select(m => new FakeMessage(m.Role, string.Join("\n", m.Texts)))],
            Images = images,
            VectorStoreIds = [],
            MaxOutputTokens = OpenAIWire.GetInt(body["max_completion_tokens"]) ?? OpenAIWire.GetInt(body["max_tokens"]),
            Store = OpenAIWire.GetBool(body["store"]),
            Metadata = OpenAIWire.GetStringMap(body["metadata"]),
            Body = (JsonObject)body.DeepClone(),
        };

        Interlocked.Increment(ref _activeRuns);
        NotifyChanged();
        try
        {
            try
            {
                await DelayAsync(ChatCompletionLatency, ctx);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref _cancelledRunsCount);
                throw;
            }
            var scripted = DequeueScripted();
            var finishReason = "stop";
            string answer;
            if (scripted is null)
            {
                answer = AnswerFactory(request);
            }
            else
            {
                answer = scripted.Text ?? "";
                if (scripted.Status == "incomplete")
                {
                    finishReason = ChatFinishReasons.Contains(scripted.ReasonOrCode) ? scripted.ReasonOrCode! : "length";
                }
            }

            var promptTokens = messages.Sum(m => m.Texts.Sum(OpenAIWire.EstimateTokens) + 4) + images.Count * 85;
            var completionTokens = OpenAIWire.EstimateTokens(answer);
            var usage = new FakeUsage(promptTokens, completionTokens, promptTokens + completionTokens);
            var response = new JsonObject
            {
                ["id"] = id,
                ["object"] = "chat.completion",
                ["created"] = OpenAIWire.UnixNow(),
                ["model"] = model,
                ["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0,
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = answer, ["refusal"] = null, ["annotations"] = new JsonArray() },
                    ["logprobs"] = null,
                    ["finish_reason"] = finishReason,
                }),
                ["usage"] = new JsonObject
                {
                    ["prompt_tokens"] = usage.InputTokens,
                    ["completion_tokens"] = usage.OutputTokens,
                    ["total_tokens"] = usage.TotalTokens,
                    ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = 0, ["audio_tokens"] = 0 },
                    ["completion_tokens_details"] = new JsonObject
                    {
                        ["reasoning_tokens"] = 0, ["audio_tokens"] = 0, ["accepted_prediction_tokens"] = 0, ["rejected_prediction_tokens"] = 0,
                    },
                },
                ["service_tier"] = "default",
                ["system_fingerprint"] = "fp_fake",
            };
            RecordRun(new FakeRunRecord(request, finishReason == "stop" ? "completed" : "incomplete", answer, usage, DateTimeOffset.UtcNow), images);
            await OpenAIWire.WriteJsonAsync(ctx, 200, response);
        }
        finally
        {
            Interlocked.Decrement(ref _activeRuns);
            NotifyChanged();
        }
    }
}

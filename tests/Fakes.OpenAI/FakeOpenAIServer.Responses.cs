using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace MessengerAutoReply.Fakes.OpenAI;

public sealed partial class FakeOpenAIServer
{
    private readonly ConcurrentDictionary<string, JsonObject> _storedResponses = new(StringComparer.Ordinal);

    private async Task CreateResponseAsync(HttpContext ctx, JsonObject body)
    {
        var model = OpenAIWire.GetString(body["model"]);
        if (model is null)
        {
            await WriteMissingParameterAsync(ctx, "model");
            return;
        }
        if (!IsKnownModel(model))
        {
            await WriteModelNotFoundAsync(ctx, model);
            return;
        }

        // The SDK sends {"id":"conv_…"}; the API also takes a bare string.
        var conversationId = body["conversation"] is JsonObject co ? OpenAIWire.GetString(co["id"]) : OpenAIWire.GetString(body["conversation"]);
        var previousResponseId = OpenAIWire.GetString(body["previous_response_id"]);
        if (conversationId is not null && previousResponseId is not null)
        {
            await OpenAIWire.WriteErrorAsync(ctx, 400,
                "Mutually exclusive parameters: Ensure you are only providing one of: 'previous_response_id' or 'conversation'.",
                OpenAIWire.InvalidRequest, null, "mutually_exclusive_parameters");
            return;
        }

        var inputItems = new List<JsonObject>();
        switch (body["input"])
        {
            case null:
                break;
            case JsonValue v when OpenAIWire.GetString(v) is { } text:
                inputItems.Add(NormalizeItem(new JsonObject { ["role"] = "user", ["content"] = text }, out _)!);
                break;
            case JsonArray arr:
                for (var i = 0; i < arr.Count; i++)
                {
                    var item = NormalizeItem(arr[i], out var error);
                    if (item is null)
                    {
                        await OpenAIWire.WriteErrorAsync(ctx, 400, error!, OpenAIWire.InvalidRequest, $"input[{i}]", "invalid_value");
                        return;
                    }
                    inputItems.Add(item);
                }
                break;
            default:
                await OpenAIWire.WriteErrorAsync(ctx, 400, "Invalid type for 'input': expected a string or an array of input items.",
                    OpenAIWire.InvalidRequest, "input", "invalid_type");
                return;
        }

        ConversationState? conv = null;
        if (conversationId is not null)
        {
            conv = await FindConversationAsync(ctx, conversationId, "conversation");
            if (conv is null)
            {
                return;
            }
        }

        // Lock check: one running response per conversation (reference §2.6). Concurrency is measured before
        // rejecting, so a service that overlaps turns shows MaxConcurrentRunsPerConversation > 1.
        List<JsonObject> prior = [];
        var holdsConversation = false;
        if (conv is not null)
        {
            bool locked;
            lock (conv)
            {
                UpdateMax(ref _maxConcurrentRunsPerConversation, conv.InFlight + 1);
                locked = EmulateConversationLock && conv.InFlight > 0;
                if (!locked)
                {
                    conv.InFlight++;
                    conv.IncrementRuns();
                    holdsConversation = true;
                    prior = [.. conv.Items.Select(i => (JsonObject)i.DeepClone())];
                }
            }
            if (locked)
            {
                Interlocked.Increment(ref _conversationLockedCount);
                await OpenAIWire.WriteErrorAsync(ctx, 400,
                    "Another process is currently operating on this conversation. Please retry in a few seconds.",
                    OpenAIWire.InvalidRequest, "conversation", "conversation_locked");
                return;
            }
        }

        void Release()
        {
            if (holdsConversation)
            {
                lock (conv!)
                {
                    conv.InFlight--;
                }
                holdsConversation = false;
            }
        }

        Interlocked.Increment(ref _activeRuns);
        NotifyChanged();
        try
        {
            var responseId = OpenAIWire.NewId("resp_");
            var images = ExtractResponseImages(inputItems);
            var request = new FakeRunRequest
            {
                Endpoint = FakeOpenAIEndpoint.Responses,
                Id = responseId,
                Model = model,
                ConversationId = conversationId,
                PreviousResponseId = previousResponseId,
                Instructions = OpenAIWire.GetString(body["instructions"]),
                UserTexts = PendingUserTexts(inputItems.Select(i => (OpenAIWire.GetString(i["role"]), TextParts(i)))),
                Messages = [.. prior.Concat(inputItems).Where(i => OpenAIWire.GetString(i["type"]) == "message")
                    .Select(i => new FakeMessage(OpenAIWire.GetString(i["role"]) ?? "", ItemText(i)))],
                Images = images,
                VectorStoreIds = VectorStoreIds(body["tools"]),
                MaxOutputTokens = OpenAIWire.GetInt(body["max_output_tokens"]),
                Store = OpenAIWire.GetBool(body["store"]),
                Metadata = OpenAIWire.GetStringMap(body["metadata"]),
                Body = (JsonObject)body.DeepClone(),
            };

            try
            {
                await DelayAsync(ResponseLatency, ctx);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref _cancelledRunsCount);
                throw;
            }

            var outcome = DequeueScripted() ?? new ScriptedOutcome("completed", AnswerFactory(request), null, null);

            var output = new JsonArray();
            if (EmitFileSearchCall && request.VectorStoreIds.Count > 0 && outcome.Status != "failed")
            {
                output.Add(new JsonObject
                {
                    ["id"] = OpenAIWire.NewId("fs_"),
                    ["type"] = "file_search_call",
                    ["status"] = "completed",
                    ["queries"] = new JsonArray([.. request.UserTexts.Select(t => (JsonNode)JsonValue.Create(t))]),
                    ["results"] = null,
                });
            }
            if (outcome.Status != "failed" && !string.IsNullOrEmpty(outcome.Text))
            {
                output.Add(new JsonObject
                {
                    ["id"] = OpenAIWire.NewId("msg_"),
                    ["type"] = "message",
                    ["status"] = outcome.Status == "incomplete" ? "incomplete" : "completed",
                    ["role"] = "assistant",
                    ["content"] = new JsonArray(new JsonObject
                    {
                        ["type"] = "output_text",
                        ["text"] = outcome.Text,
                        ["annotations"] = new JsonArray(),
                        ["logprobs"] = new JsonArray(),
                    }),
                });
            }

            var inputTokens = OpenAIWire.EstimateTokens(request.Instructions)
                + request.Messages.Sum(m => OpenAIWire.EstimateTokens(m.Text) + 4)
                + images.Count * 85;
            var outputTokens = OpenAIWire.EstimateTokens(outcome.Text);
            var usage = new FakeUsage(inputTokens, outputTokens, inputTokens + outputTokens);

            var response = new JsonObject
            {
                ["id"] = responseId,
                ["object"] = "response",
                ["created_at"] = OpenAIWire.UnixNow(),
                ["status"] = outcome.Status,
                ["background"] = false,
                ["error"] = outcome.Status == "failed"
                    ? new JsonObject { ["code"] = outcome.ReasonOrCode, ["message"] = outcome.Message }
                    : null,
                ["incomplete_details"] = outcome.Status == "incomplete" ? new JsonObject { ["reason"] = outcome.ReasonOrCode } : null,
                ["instructions"] = request.Instructions,
                ["max_output_tokens"] = request.MaxOutputTokens,
                ["model"] = model,
                ["output"] = output,
                ["parallel_tool_calls"] = true,
                ["previous_response_id"] = previousResponseId,
                ["conversation"] = conversationId is null ? null : new JsonObject { ["id"] = conversationId },
                ["reasoning"] = new JsonObject { ["effort"] = null, ["summary"] = null },
                ["service_tier"] = "default",
                ["store"] = request.Store ?? true,
                ["temperature"] = 1.0,
                ["text"] = new JsonObject { ["format"] = new JsonObject { ["type"] = "text" }, ["verbosity"] = "medium" },
                ["tool_choice"] = "auto",
                ["tools"] = body["tools"]?.DeepClone() ?? new JsonArray(),
                ["top_p"] = 1.0,
                ["truncation"] = "disabled",
                ["usage"] = new JsonObject
                {
                    ["input_tokens"] = usage.InputTokens,
                    ["input_tokens_details"] = new JsonObject { ["cached_tokens"] = 0 },
                    ["output_tokens"] = usage.OutputTokens,
                    ["output_tokens_details"] = new JsonObject { ["reasoning_tokens"] = 0 },
                    ["total_tokens"] = usage.TotalTokens,
                },
                ["user"] = null,
                ["metadata"] = body["metadata"]?.DeepClone() ?? new JsonObject(),
            };

            // A completed (or cut-short) response adds its input and output to the conversation.
            if (conv is not null && outcome.Status != "failed")
            {
                lock (conv)
                {
                    conv.Items.AddRange(inputItems);
                    conv.Items.AddRange(output.Select(o => (JsonObject)o!.DeepClone()));
                }
            }
            if (request.Store != false)
            {
                _storedResponses[responseId] = (JsonObject)response.DeepClone();
            }
            RecordRun(new FakeRunRecord(request, outcome.Status, outcome.Text, usage, DateTimeOffset.UtcNow), images);

            // Unlock before the reply leaves: a client that sends its next turn right after reading it must not
            // race against our bookkeeping and see a spurious conversation_locked.
            Release();
            await OpenAIWire.WriteJsonAsync(ctx, 200, response);
        }
        finally
        {
            Release();
            Interlocked.Decrement(ref _activeRuns);
            NotifyChanged();
        }
    }

    private async Task GetResponseAsync(HttpContext ctx, string id)
    {
        await DelayAsync(ResponseLatency, ctx);
        if (_storedResponses.TryGetValue(id, out var stored))
        {
            await OpenAIWire.WriteJsonAsync(ctx, 200, stored.DeepClone());
            return;
        }
        await OpenAIWire.WriteErrorAsync(ctx, 404, $"Response with id '{id}' not found.", OpenAIWire.InvalidRequest, null, null);
    }

    private static List<FakeImageInput> ExtractResponseImages(IEnumerable<JsonObject> items)
    {
        var images = new List<FakeImageInput>();
        foreach (var item in items)
        {
            if (item["content"] is not JsonArray parts)
            {
                continue;
            }
            foreach (var p in parts.OfType<JsonObject>().Where(p => OpenAIWire.GetString(p["type"]) == "input_image"))
            {
                var url = OpenAIWire.GetString(p["image_url"]);
                var (mediaType, data) = OpenAIWire.ParseDataUrl(url);
                images.Add(new FakeImageInput(FakeOpenAIEndpoint.Responses, url, OpenAIWire.GetString(p["file_id"]),
                    OpenAIWire.GetString(p["detail"]) ?? "auto", mediaType, data));
            }
        }
        return images;
    }

    private static IReadOnlyList<string> TextParts(JsonObject item) =>
        item["content"] is JsonArray parts
            ? [.. parts.OfType<JsonObject>()
                .Where(p => OpenAIWire.GetString(p["type"]) is "input_text" or "output_text" or "text")
                .Select(p => OpenAIWire.GetString(p["text"]) ?? "")]
            : [];

    /// <summary>User text parts after the last assistant message, in order.</summary>
    private static List<string> PendingUserTexts(IEnumerable<(string? Role, IReadOnlyList<string> Texts)> messages)
    {
        var pending = new List<string>();
        foreach (var (role, texts) in messages)
        {
            if (role == "assistant")
            {
                pending.Clear();
            }
            else if (role == "user")
            {
                pending.AddRange(texts);
            }
        }
        return pending;
    }

    private static IReadOnlyList<string> VectorStoreIds(JsonNode? tools) =>
        tools is JsonArray arr
            ? [.. arr.OfType<JsonObject>()
                .Where(t => OpenAIWire.GetString(t["type"]) == "file_search")
                .SelectMany(t => t["vector_store_ids"] as JsonArray ?? [])
                .Select(OpenAIWire.GetString)
                .OfType<string>()]
            : [];

    private static void UpdateMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value)
        {
            if (Interlocked.CompareExchange(ref target, value, current) == current)
            {
                return;
            }
        }
    }
}

using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using MessengerAutoReply.Fakes.OpenAI;
using OpenAI;
using OpenAI.Audio;
using OpenAI.Chat;
using OpenAI.Conversations;
using OpenAI.Responses;

namespace MessengerAutoReply.Fakes.Tests;

/// <summary>
/// Fidelity tests: the fake is driven only through the real OpenAI 2.15 SDK clients, so every assertion here is
/// also an assertion that the wire format is one the SDK accepts.
/// </summary>
public sealed class OpenAIFakeTests : IAsyncLifetime
{
    private const string Key = "sk-fake-test-key-0001";
    private FakeOpenAIServer _fake = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _fake = await FakeOpenAIServer.StartAsync(Key, Ct);

    public async ValueTask DisposeAsync() => await _fake.DisposeAsync();

    /// <summary>SDK client pointed at the fake. Retries off unless asked: the default policy's zero backoff (reference §8.8) hides 429s.</summary>
    private OpenAIClient Client(string? key = null, bool defaultRetries = false)
    {
        var options = new OpenAIClientOptions { Endpoint = _fake.ApiEndpoint };
        if (!defaultRetries)
        {
            options.RetryPolicy = new ClientRetryPolicy(maxRetries: 0);
        }
        return new OpenAIClient(new ApiKeyCredential(key ?? Key), options);
    }

    private static JsonElement ErrorOf(ClientResultException ex) =>
        JsonDocument.Parse(ex.GetRawResponse()!.Content.ToString()).RootElement.GetProperty("error");

    private static CreateResponseOptions Turn(string conversationId, params string[] texts) => new()
    {
        Model = "gpt-5.1",
        Instructions = "Be brief",
        ConversationOptions = new ResponseConversationOptions(conversationId),
        InputItems = { ResponseItem.CreateUserMessageItem([.. texts.Select(t => ResponseContentPart.CreateInputTextPart(t))]) },
        MaxOutputTokenCount = 200,
        StoredOutputEnabled = true,
    };

    [Fact]
    public void Serves_under_v1_like_the_sdk_expects()
    {
        Assert.StartsWith("http://127.0.0.1:", _fake.BaseUrl);
        Assert.False(_fake.BaseUrl.EndsWith('/'));
        Assert.Equal(_fake.BaseUrl + "/v1", _fake.ApiEndpoint.ToString());
    }

    [Fact]
    public async Task Conversation_turn_returns_output_text_and_usage_and_appends_items()
    {
        var client = Client();
        var conversations = client.GetConversationClient();
        var responses = client.GetResponsesClient();

        var created = await conversations.CreateConversationAsync(new ConversationCreationOptions
        {
            Metadata = { ["chatId"] = "tg-42" },
            Items = { ResponseItem.CreateUserMessageItem("earlier message") },
        }, Ct);
        var convId = created.Value.Id;
        Assert.StartsWith("conv_", convId);
        Assert.True(created.Value.CreatedAt > DateTimeOffset.UtcNow.AddMinutes(-1));
        var fetched = await conversations.GetConversationAsync(convId, Ct);
        Assert.Equal("tg-42", fetched.Value.Metadata["chatId"]);

        var options = Turn(convId, "hello", "second");
        options.Tools.Add(ResponseTool.CreateFileSearchTool(["vs_shop"]));
        var result = (await responses.CreateResponseAsync(options, Ct)).Value;

        Assert.Equal(ResponseStatus.Completed, result.Status);
        Assert.Equal("Reply to: hello | second", result.GetOutputText());
        Assert.Equal(convId, result.ConversationOptions.ConversationId);
        var run = Assert.Single(_fake.Runs);
        Assert.True(result.Usage.InputTokenCount > 0);
        Assert.Equal(run.Usage.InputTokens, result.Usage.InputTokenCount);
        Assert.Equal(run.Usage.OutputTokens, result.Usage.OutputTokenCount);
        Assert.Equal(run.Usage.TotalTokens, result.Usage.TotalTokenCount);
        Assert.Equal(["vs_shop"], run.Request.VectorStoreIds);
        Assert.Equal("Be brief", run.Request.Instructions);
        Assert.Equal(200, run.Request.MaxOutputTokens);
        Assert.True(run.Request.Store);
        Assert.Equal(["earlier message", "hello\nsecond"], run.Request.Messages.Select(m => m.Text));

        // The wire body the SDK sent, as recorded.
        var posted = await _fake.WaitForRequestAsync(r => r.Path == "/v1/responses", cancellationToken: Ct);
        Assert.Equal(convId, posted.Body!["conversation"]!["id"]!.GetValue<string>());
        Assert.Equal(Key, posted.ApiKey);

        // Items: seed, the turn's input, the file_search call, the assistant message; read back page by page.
        var items = new List<JsonElement>();
        var pages = 0;
        await foreach (var page in conversations.GetConversationItemsAsync(convId, limit: 2, order: "asc", after: null, include: null,
            options: new RequestOptions { CancellationToken = Ct }).GetRawPagesAsync())
        {
            pages++;
            var doc = JsonDocument.Parse(page.GetRawResponse().Content.ToString());
            items.AddRange(doc.RootElement.GetProperty("data").EnumerateArray().Select(e => e.Clone()));
        }
        Assert.Equal(2, pages);
        Assert.Equal(["message", "message", "file_search_call", "message"], items.Select(i => i.GetProperty("type").GetString()));
        Assert.All(items, i => Assert.StartsWith(i.GetProperty("type").GetString() == "message" ? "msg_" : "fs_", i.GetProperty("id").GetString()));
        Assert.All(items, i => Assert.Equal("completed", i.GetProperty("status").GetString()));
        Assert.Equal("user", items[1].GetProperty("role").GetString());
        Assert.Equal("second", items[1].GetProperty("content")[1].GetProperty("text").GetString());
        Assert.Equal("assistant", items[3].GetProperty("role").GetString());
        Assert.Equal("output_text", items[3].GetProperty("content")[0].GetProperty("type").GetString());
        Assert.Equal("Reply to: hello | second", items[3].GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal(1, _fake.GetRunCount(convId));

        // Adding items directly, then default order (desc) puts the newest first.
        await conversations.CreateConversationItemsAsync(convId,
            BinaryContent.Create(BinaryData.FromString("""{"items":[{"type":"message","role":"assistant","content":[{"type":"output_text","text":"manual"}]}]}""")),
            include: null, options: new RequestOptions { CancellationToken = Ct });
        var newest = await conversations.GetConversationItemsAsync(convId, limit: 1, order: null, after: null, include: null,
            options: new RequestOptions { CancellationToken = Ct }).GetRawPagesAsync().FirstAsync(Ct);
        var newestDoc = JsonDocument.Parse(newest.GetRawResponse().Content.ToString()).RootElement;
        Assert.True(newestDoc.GetProperty("has_more").GetBoolean());
        Assert.Equal("manual", newestDoc.GetProperty("data")[0].GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal(5, _fake.GetConversationItems(convId).Count);
    }

    [Fact]
    public async Task Second_response_in_a_running_conversation_is_conversation_locked_and_not_retried()
    {
        var client = Client(defaultRetries: true); // 400 must not be retried even by the default policy
        var responses = client.GetResponsesClient();
        var convId = _fake.AddConversation();
        _fake.ResponseLatency = TimeSpan.FromSeconds(2);

        var first = responses.CreateResponseAsync(Turn(convId, "one"), Ct);
        await _fake.WaitForAsync(f => f.ActiveRuns == 1, cancellationToken: Ct);

        var ex = await Assert.ThrowsAsync<ClientResultException>(() => responses.CreateResponseAsync(Turn(convId, "two"), Ct));
        Assert.Equal(400, ex.Status);
        var error = ErrorOf(ex);
        Assert.Equal("conversation_locked", error.GetProperty("code").GetString());
        Assert.Equal("conversation", error.GetProperty("param").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(1, _fake.ConversationLockedCount);

        Assert.Equal("Reply to: one", (await first).Value.GetOutputText());
        Assert.Equal(2, _fake.CountRequests(FakeOpenAIEndpoint.Responses));
        Assert.Equal(2, _fake.MaxConcurrentRunsPerConversation);
        Assert.Equal(1, _fake.GetRunCount(convId));
        Assert.DoesNotContain(_fake.GetConversationItems(convId), i => i.Text == "two");
    }

    [Fact]
    public async Task Sequential_turns_never_see_the_lock()
    {
        var responses = Client().GetResponsesClient();
        var convId = _fake.AddConversation(messages: [new FakeMessage("user", "seeded")]);
        for (var i = 0; i < 8; i++)
        {
            var r = await responses.CreateResponseAsync(Turn(convId, $"m{i}"), Ct);
            Assert.Equal($"Reply to: m{i}", r.Value.GetOutputText());
        }
        Assert.Equal(0, _fake.ConversationLockedCount);
        Assert.Equal(1, _fake.MaxConcurrentRunsPerConversation);
        Assert.Equal(8, _fake.RunCountsByConversation[convId]);
        Assert.Equal(1 + 8 * 2, _fake.GetConversationItems(convId).Count);
        Assert.Equal(1 + 7 * 2 + 1, _fake.Runs[^1].Request.Messages.Count); // history is visible to the last run
    }

    [Fact]
    public async Task Many_parallel_conversations_are_independent_and_thread_safe()
    {
        var responses = Client().GetResponsesClient();
        _fake.ResponseLatency = TimeSpan.FromMilliseconds(50);
        var ids = Enumerable.Range(0, 20).Select(_ => _fake.AddConversation()).ToArray();

        var results = await Task.WhenAll(ids.Select((id, i) => responses.CreateResponseAsync(Turn(id, $"chat{i}"), Ct)));

        Assert.Equal(ids.Select((_, i) => $"Reply to: chat{i}"), results.Select(r => r.Value.GetOutputText()));
        Assert.Equal(0, _fake.ConversationLockedCount);
        Assert.Equal(1, _fake.MaxConcurrentRunsPerConversation);
        Assert.All(ids, id => Assert.Equal(2, _fake.GetConversationItems(id).Count));

        // Ten at once into one conversation: exactly one gets through (latency long enough that all overlap).
        _fake.ResponseLatency = TimeSpan.FromSeconds(1);
        var burst = await Task.WhenAll(Enumerable.Range(0, 10).Select(async i =>
        {
            try
            {
                await responses.CreateResponseAsync(Turn(ids[0], $"burst{i}"), Ct);
                return 200;
            }
            catch (ClientResultException ex)
            {
                return ex.Status;
            }
        }));
        Assert.Single(burst, s => s == 200);
        Assert.Equal(9, burst.Count(s => s == 400));
        Assert.Equal(9, _fake.ConversationLockedCount);
        Assert.True(_fake.MaxConcurrentRunsPerConversation >= 2);
    }

    [Fact]
    public async Task Image_input_is_recorded_with_media_type_and_bytes()
    {
        var responses = Client().GetResponsesClient();
        var convId = _fake.AddConversation();
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3];
        var options = new CreateResponseOptions
        {
            Model = "gpt-5.1",
            ConversationOptions = new ResponseConversationOptions(convId),
            InputItems =
            {
                ResponseItem.CreateUserMessageItem([
                    ResponseContentPart.CreateInputTextPart("What is this?"),
                    ResponseContentPart.CreateInputImagePart(BinaryData.FromBytes(jpeg, "image/jpeg"), ResponseImageDetailLevel.Low),
                ]),
            },
        };

        var result = await responses.CreateResponseAsync(options, Ct);

        Assert.Equal("Reply to: What is this?", result.Value.GetOutputText());
        Assert.Equal(1, _fake.ImageInputsCount);
        var image = Assert.Single(_fake.ImageInputs);
        Assert.True(image.IsDataUrl);
        Assert.Equal("image/jpeg", image.MediaType);
        Assert.Equal(jpeg, image.Data);
        Assert.Equal("low", image.Detail);
        Assert.Equal(FakeOpenAIEndpoint.Responses, image.Endpoint);
        Assert.Single(_fake.Runs[0].Request.Images);
        Assert.Contains(_fake.GetConversationItems(convId)[0].Json["content"]!.AsArray(), p => p!["type"]!.GetValue<string>() == "input_image");
    }

    [Fact]
    public async Task Transcribes_an_ogg_upload_and_rejects_opus_with_the_documented_400()
    {
        var audio = Client().GetAudioClient("gpt-4o-mini-transcribe");
        var bytes = Encoding.ASCII.GetBytes("OggS fake opus payload");

        using (var stream = new MemoryStream(bytes))
        {
            var t = await audio.TranscribeAudioAsync(stream, "voice.ogg", new AudioTranscriptionOptions { Language = "ru" }, Ct);
            Assert.Equal($"transcript of voice.ogg ({bytes.Length} bytes)", t.Value.Text);
        }
        var recorded = Assert.Single(_fake.Transcriptions);
        Assert.Equal("voice.ogg", recorded.FileName);
        Assert.Equal(bytes, recorded.Bytes);
        Assert.Equal("gpt-4o-mini-transcribe", recorded.Model);
        Assert.Equal("ru", recorded.Language);
        Assert.Null(recorded.ResponseFormat);

        _fake.TranscriptFactory = r => "привет " + r.FileName;
        using (var stream = new MemoryStream(bytes))
        {
            var t = await audio.TranscribeAudioAsync(stream, "voice.oga", cancellationToken: Ct);
            Assert.Equal("привет voice.oga", t.Value.Text);
        }

        using (var stream = new MemoryStream(bytes))
        {
            var ex = await Assert.ThrowsAsync<ClientResultException>(() => audio.TranscribeAudioAsync(stream, "voice.opus", cancellationToken: Ct));
            Assert.Equal(400, ex.Status);
            var error = ErrorOf(ex);
            Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
            Assert.Equal("Invalid file format. Supported formats: ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']",
                error.GetProperty("message").GetString());
        }
        Assert.Equal(2, _fake.TranscriptionsCount);

        _fake.MaxAudioBytes = 10;
        using (var stream = new MemoryStream(bytes))
        {
            var ex = await Assert.ThrowsAsync<ClientResultException>(() => audio.TranscribeAudioAsync(stream, "voice.ogg", cancellationToken: Ct));
            Assert.Equal(413, ex.Status);
        }
    }

    [Fact]
    public async Task Chat_completion_with_image_url_part()
    {
        var chat = Client().GetChatClient("gpt-4.1-mini");
        byte[] png = [0x89, 0x50, 0x4E, 0x47];
        ChatMessage[] messages =
        [
            new SystemChatMessage("Describe images."),
            new UserChatMessage("old question"),
            new AssistantChatMessage("old answer"),
            new UserChatMessage(
                ChatMessageContentPart.CreateTextPart("Describe"),
                ChatMessageContentPart.CreateImagePart(BinaryData.FromBytes(png), "image/png", ChatImageDetailLevel.Low)),
        ];

        var completion = (await chat.CompleteChatAsync(messages, new ChatCompletionOptions { MaxOutputTokenCount = 100 }, Ct)).Value;

        Assert.Equal("Reply to: Describe", completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        var run = Assert.Single(_fake.Runs);
        Assert.Equal(run.Usage.TotalTokens, completion.Usage.TotalTokenCount);
        Assert.Equal(run.Usage.InputTokens, completion.Usage.InputTokenCount);
        Assert.Equal("Describe images.", run.Request.Instructions);
        Assert.Equal(100, run.Request.MaxOutputTokens);
        Assert.Equal(1, _fake.ChatCompletionsCount);
        var image = Assert.Single(_fake.ImageInputs);
        Assert.Equal(FakeOpenAIEndpoint.ChatCompletions, image.Endpoint);
        Assert.Equal("image/png", image.MediaType);
        Assert.Equal(png, image.Data);
    }

    [Fact]
    public async Task Wrong_key_gets_401_invalid_api_key_once_and_unknown_model_404()
    {
        var responses = Client(key: "sk-wrong-key-123456", defaultRetries: true).GetResponsesClient();
        var ex = await Assert.ThrowsAsync<ClientResultException>(() => responses.CreateResponseAsync("gpt-5.1", "hi", cancellationToken: Ct));
        Assert.Equal(401, ex.Status);
        var error = ErrorOf(ex);
        Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.StartsWith("Incorrect API key provided: sk-", error.GetProperty("message").GetString());
        Assert.Equal(JsonValueKind.Null, error.GetProperty("param").ValueKind);
        Assert.Equal(1, _fake.RequestCount);

        var good = Client().GetResponsesClient();
        var notFound = await Assert.ThrowsAsync<ClientResultException>(() => good.CreateResponseAsync("gpt-nonexistent", "hi", cancellationToken: Ct));
        Assert.Equal(404, notFound.Status);
        Assert.Equal("model_not_found", ErrorOf(notFound).GetProperty("code").GetString());

        var missingConv = await Assert.ThrowsAsync<ClientResultException>(() => good.CreateResponseAsync(Turn("conv_missing", "hi"), Ct));
        Assert.Equal(404, missingConv.Status);
    }

    [Fact]
    public async Task Rate_limit_429_is_surfaced_with_headers_and_body()
    {
        var responses = Client().GetResponsesClient();
        var convId = _fake.AddConversation();
        _fake.FailNext(FakeOpenAIEndpoint.Responses, 429, count: 1, retryAfter: TimeSpan.FromSeconds(1));

        var ex = await Assert.ThrowsAsync<ClientResultException>(() => responses.CreateResponseAsync(Turn(convId, "hi"), Ct));

        Assert.Equal(429, ex.Status);
        var raw = ex.GetRawResponse()!;
        Assert.True(raw.Headers.TryGetValue("retry-after", out var retryAfter));
        Assert.Equal("1", retryAfter);
        Assert.True(raw.Headers.TryGetValue("x-ratelimit-remaining-requests", out var remaining));
        Assert.Equal("0", remaining);
        Assert.True(raw.Headers.TryGetValue("x-ratelimit-reset-requests", out var reset));
        Assert.Equal("1s", reset);
        Assert.True(raw.Headers.TryGetValue("x-request-id", out _));
        var error = ErrorOf(ex);
        Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
        Assert.Equal("requests", error.GetProperty("type").GetString());
        Assert.Equal(1, _fake.CountRequests(FakeOpenAIEndpoint.Responses));
        Assert.Equal(0, _fake.GetRunCount(convId)); // failed before touching the conversation

        // Only the next one failed.
        Assert.Equal("Reply to: hi", (await responses.CreateResponseAsync(Turn(convId, "hi"), Ct)).Value.GetOutputText());

        _fake.FailNext(FakeOpenAIEndpoint.Responses, 429, errorType: "insufficient_quota");
        var quota = await Assert.ThrowsAsync<ClientResultException>(() => responses.CreateResponseAsync(Turn(convId, "x"), Ct));
        Assert.Equal("insufficient_quota", ErrorOf(quota).GetProperty("code").GetString());
        Assert.False(quota.GetRawResponse()!.Headers.TryGetValue("retry-after", out _));
    }

    [Fact]
    public async Task Server_errors_are_retried_by_the_default_policy_and_FailAlways_holds_until_cleared()
    {
        // Default policy: 500 is retried (with no backoff, reference §8.8), so two failures then success.
        var retrying = Client(defaultRetries: true).GetChatClient("gpt-4.1-mini");
        _fake.FailNext(FakeOpenAIEndpoint.ChatCompletions, 500, count: 2);
        var ok = await retrying.CompleteChatAsync([new UserChatMessage("ping")], cancellationToken: Ct);
        Assert.Equal("Reply to: ping", ok.Value.Content[0].Text);
        Assert.Equal(3, _fake.CountRequests(FakeOpenAIEndpoint.ChatCompletions));
        Assert.Equal([500, 500, 200], _fake.RecordedRequests.Select(r => r.StatusCode));

        var chat = Client().GetChatClient("gpt-4.1-mini");
        _fake.FailAlways(FakeOpenAIEndpoint.ChatCompletions, 503);
        for (var i = 0; i < 2; i++)
        {
            var ex = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([new UserChatMessage("ping")], cancellationToken: Ct));
            Assert.Equal(503, ex.Status);
            Assert.Equal("server_error", ErrorOf(ex).GetProperty("type").GetString());
        }
        // Other endpoints are unaffected.
        await Client().GetConversationClient().CreateConversationAsync(new ConversationCreationOptions(), Ct);

        _fake.ClearFailures();
        Assert.Equal("Reply to: ping", (await chat.CompleteChatAsync([new UserChatMessage("ping")], cancellationToken: Ct)).Value.Content[0].Text);
    }

    [Fact]
    public async Task Latency_is_honoured_and_a_cancelled_run_frees_the_conversation()
    {
        var responses = Client().GetResponsesClient();
        var convId = _fake.AddConversation();
        _fake.ResponseLatency = TimeSpan.FromMilliseconds(400);

        var sw = Stopwatch.StartNew();
        await responses.CreateResponseAsync(Turn(convId, "slow"), Ct);
        Assert.True(sw.Elapsed >= TimeSpan.FromMilliseconds(380), $"took {sw.Elapsed}");

        _fake.ResponseLatency = TimeSpan.FromSeconds(60);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var pending = responses.CreateResponseAsync(Turn(convId, "abandoned"), cts.Token);
        await _fake.WaitForAsync(f => f.ActiveRuns == 1, cancellationToken: Ct);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        await _fake.WaitForAsync(f => f.CancelledRunsCount == 1 && f.ActiveRuns == 0, TimeSpan.FromSeconds(5), Ct);

        _fake.ResponseLatency = TimeSpan.Zero;
        var next = await responses.CreateResponseAsync(Turn(convId, "after"), Ct);
        Assert.Equal("Reply to: after", next.Value.GetOutputText());
        Assert.DoesNotContain(_fake.GetConversationItems(convId), i => i.Text == "abandoned");
        Assert.Equal(0, _fake.ConversationLockedCount);
    }

    [Fact]
    public async Task Dispose_does_not_wait_for_a_slow_pending_request()
    {
        var fake = await FakeOpenAIServer.StartAsync(Key, Ct);
        var options = new OpenAIClientOptions { Endpoint = fake.ApiEndpoint, RetryPolicy = new ClientRetryPolicy(0) };
        var responses = new OpenAIClient(new ApiKeyCredential(Key), options).GetResponsesClient();
        fake.ResponseLatency = TimeSpan.FromMinutes(1);
        var pending = responses.CreateResponseAsync("gpt-5.1", "hi", cancellationToken: Ct);
        await fake.WaitForAsync(f => f.ActiveRuns == 1, cancellationToken: Ct);

        var sw = Stopwatch.StartNew();
        await fake.DisposeAsync();
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(3), $"dispose took {sw.Elapsed}");
        await Assert.ThrowsAnyAsync<Exception>(() => pending);
    }

    [Fact]
    public async Task Scripted_answers_and_incomplete_status_inside_200()
    {
        var responses = Client().GetResponsesClient();
        var convId = _fake.AddConversation();

        _fake.EnqueueAnswer("exact text");
        Assert.Equal("exact text", (await responses.CreateResponseAsync(Turn(convId, "a"), Ct)).Value.GetOutputText());

        _fake.EnqueueIncompleteResponse("partial");
        var incomplete = (await responses.CreateResponseAsync(Turn(convId, "b"), Ct)).Value;
        Assert.Equal(ResponseStatus.Incomplete, incomplete.Status);
        Assert.Equal(ResponseIncompleteStatusReason.MaxOutputTokens, incomplete.IncompleteStatusDetails.Reason);
        Assert.Equal("partial", incomplete.GetOutputText());

        _fake.EnqueueFailedResponse();
        var failed = (await responses.CreateResponseAsync(Turn(convId, "c"), Ct)).Value;
        Assert.Equal(ResponseStatus.Failed, failed.Status);
        Assert.NotNull(failed.Error);

        _fake.AnswerFactory = r => $"{r.Model}:{r.UserTexts.Count}";
        Assert.Equal("gpt-5.1:2", (await responses.CreateResponseAsync(Turn(convId, "x", "y"), Ct)).Value.GetOutputText());
    }

    [Fact]
    public async Task Conversation_limits_and_unknown_ids_follow_the_api()
    {
        var conversations = Client().GetConversationClient();
        var tooMany = string.Join(",", Enumerable.Range(0, 21).Select(i => $$"""{"role":"user","content":"m{{i}}"}"""));
        var ex = await Assert.ThrowsAsync<ClientResultException>(() => conversations.CreateConversationAsync(
            BinaryContent.Create(BinaryData.FromString($$"""{"items":[{{tooMany}}]}""")), new RequestOptions { CancellationToken = Ct }));
        Assert.Equal(400, ex.Status);
        Assert.Equal("items", ErrorOf(ex).GetProperty("param").GetString());

        var missing = await Assert.ThrowsAsync<ClientResultException>(() => conversations.GetConversationAsync("conv_nope", Ct));
        Assert.Equal(404, missing.Status);

        var created = await conversations.CreateConversationAsync(new ConversationCreationOptions(), Ct);
        Assert.True(_fake.ConversationExists(created.Value.Id));
        var deleted = await conversations.DeleteConversationAsync(created.Value.Id, Ct);
        Assert.True(deleted.Value.Deleted);
        Assert.False(_fake.ConversationExists(created.Value.Id));
    }
}

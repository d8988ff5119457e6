using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Fakes.OpenAI;
using MessengerAutoReply.Media;
using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.Ai;

public sealed class AutoReplyTests(AutoReplyFixture fixture) : IClassFixture<AutoReplyFixture>, IDisposable
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;
    private FakeOpenAIServer OpenAI => fixture.OpenAI;

    public void Dispose()
    {
        OpenAI.ResponseLatency = TimeSpan.Zero;
        OpenAI.ClearFailures();
    }

    private async Task<Chat> ChatOf(ChatAddress address) =>
        (await fixture.Service.Grains.GetGrain<IChatGrain>(address.ChatId).GetAsync())!;

    [Fact]
    public async Task Messages_during_a_run_are_answered_together_by_one_follow_up_run()
    {
        OpenAI.ResponseLatency = TimeSpan.FromSeconds(2);
        var chat = AutoReplyFixture.NewChat();
        await fixture.Say(chat, "m1");
        await Eventually.True(() => OpenAI.ActiveRuns > 0, what: "first run started");
        foreach (var text in new[] { "m2", "m3", "m4", "m5" })
        {
            await fixture.Say(chat, text);
        }

        await Eventually.True(() => fixture.RepliesTo(chat).Count == 2, TimeSpan.FromSeconds(20), "two replies");
        var conversation = (await ChatOf(chat)).OpenAIThreadId!;
        Assert.StartsWith("conv_", conversation);
        Assert.Equal(2, OpenAI.GetRunCount(conversation));
        Assert.Equal(1, OpenAI.MaxConcurrentRunsPerConversation);
        Assert.Equal(0, OpenAI.ConversationLockedCount);
        var replies = fixture.RepliesTo(chat);
        Assert.Contains("m1", replies[0].Content);
        Assert.All(new[] { "m2", "m3", "m4", "m5" }, m => Assert.Contains(m, replies[1].Content));
        Assert.All(replies, r => Assert.Equal(ResponseModes.Ai, r.ResponseMode));
        // Past every quiet period and woken: a third run would be recorded now.
        await fixture.AssertNoRunAsync(chat);
        Assert.Equal(2, OpenAI.GetRunCount(conversation));
        Assert.Equal(2, fixture.RepliesTo(chat).Count);
    }

    [Fact]
    public async Task Fifty_chats_at_once_each_get_their_answer_and_runs_overlap()
    {
        OpenAI.ResponseLatency = TimeSpan.FromMilliseconds(500);
        var chats = Enumerable.Range(0, 50).Select(_ => AutoReplyFixture.NewChat()).ToList();
        var peak = 0;
        using var watch = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            while (!watch.IsCancellationRequested)
            {
                peak = Math.Max(peak, OpenAI.ActiveRuns);
                await Task.Delay(10);
            }
        }, _ct);
        await Task.WhenAll(chats.Select((c, i) => fixture.Say(c, $"question {i}")));

        await Eventually.True(() => chats.All(c => fixture.RepliesTo(c).Count == 1), TimeSpan.FromSeconds(40), "every chat answered");
        await watch.CancelAsync();
        await watcher;
        Assert.True(peak > 1, $"runs of different chats overlap (peak {peak})");
        for (var i = 0; i < chats.Count; i++)
        {
            Assert.Contains($"question {i}", fixture.RepliesTo(chats[i])[0].Content);
        }
    }

    [Fact]
    public async Task A_burst_within_the_quiet_period_gets_one_answer()
    {
        var chat = AutoReplyFixture.NewChat();
        var before = OpenAI.ResponsesCount;
        var gap = fixture.QuietPeriod / 3;
        await fixture.SayWithinQuietPeriod(chat, "hi");
        fixture.Clock.Advance(gap);
        await fixture.SayWithinQuietPeriod(chat, "I'd like");
        fixture.Clock.Advance(gap);
        await fixture.SayWithinQuietPeriod(chat, "to order");
        // The first message's quiet period is over, the last one's is not: nothing may start yet.
        fixture.Clock.Advance(fixture.QuietPeriod - gap);
        await fixture.AssertNoRunAsync(chat, pastQuietPeriod: false);
        Assert.Equal(before, OpenAI.ResponsesCount);

        fixture.Clock.Advance(gap);
        await Eventually.True(() => fixture.RepliesTo(chat).Count == 1, what: "one reply");
        Assert.Equal(before + 1, OpenAI.ResponsesCount);
        Assert.Contains("to order", fixture.RepliesTo(chat)[0].Content);
        Assert.Contains("hi", fixture.RepliesTo(chat)[0].Content);
    }

    [Fact]
    public async Task A_voice_note_is_transcribed_before_it_is_answered()
    {
        var chat = AutoReplyFixture.NewChat();
        var ogg = "OggS\0\u0002voice-bytes"u8.ToArray();
        fixture.Files.Files["voice-file-1"] = MediaFetchResult.Of(new MediaContent("telegram", "file_12.oga", "audio/ogg", ogg));
        var received = await fixture.Service.Grains.GetGrain<IChatGrain>(chat.ChatId).ReceiveAsync(new InboundMessage
        {
            Chat = chat,
            PlatformMessageId = "v1",
            Type = MessageTypes.Voice,
            Media = new MediaRef { Platform = Platforms.Telegram, PlatformFileId = "voice-file-1", UniqueId = "uv1", MimeType = "audio/ogg", DurationSeconds = 3 },
            Timestamp = fixture.Clock.GetUtcNow(),
        });
        fixture.Clock.Advance(fixture.QuietPeriod);

        await Eventually.True(() => fixture.RepliesTo(chat).Count == 1, what: "voice answered");
        var transcription = OpenAI.Transcriptions.Single(t => t.Bytes.SequenceEqual(ogg));
        Assert.EndsWith(".oga", transcription.FileName);
        Assert.Equal("whisper-1", transcription.Model);
        Assert.Contains("transcript of", fixture.RepliesTo(chat)[0].Content);
        var messages = await fixture.Service.Client.GetFromJsonAsync<JsonElement>($"/api/chats/{chat.ChatId}/messages", _ct);
        var voice = messages.GetProperty("items").EnumerateArray().Single(m => m.GetProperty("id").GetString() == received.Message!.Id);
        Assert.Contains("transcript of", voice.GetProperty("content").GetString());
        Assert.NotNull(voice.GetProperty("mediaFileId").GetString());
    }

    [Fact]
    public async Task An_image_is_described_and_the_description_is_answered()
    {
        var chat = AutoReplyFixture.NewChat();
        var png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==");
        fixture.Files.Files["photo-1"] = MediaFetchResult.Of(new MediaContent("telegram", "photo.png", "image/png", png));
        OpenAI.AnswerFactory = r => r.Images.Count > 0 ? "A red bicycle with a broken chain." : FakeOpenAIServer.DefaultAnswer(r);
        try
        {
            await fixture.Service.Grains.GetGrain<IChatGrain>(chat.ChatId).ReceiveAsync(new InboundMessage
            {
                Chat = chat,
                PlatformMessageId = "p1",
                Type = MessageTypes.Image,
                Content = "Can you fix this?",
                Media = new MediaRef { Platform = Platforms.Telegram, PlatformFileId = "photo-1", MimeType = "image/png" },
                Timestamp = fixture.Clock.GetUtcNow(),
            });
            fixture.Clock.Advance(fixture.QuietPeriod);
            await Eventually.True(() => fixture.RepliesTo(chat).Count == 1, what: "image answered");
        }
        finally
        {
            OpenAI.AnswerFactory = FakeOpenAIServer.DefaultAnswer;
        }
        Assert.Contains(OpenAI.ImageInputs, i => i.MediaType == "image/png" && i.Data is not null && i.Data.SequenceEqual(png));
        var reply = fixture.RepliesTo(chat)[0].Content!;
        Assert.Contains("red bicycle", reply);
        Assert.Contains("Can you fix this?", reply);
    }

    [Fact]
    public async Task With_autoMode_off_nothing_is_called_and_an_operator_message_switches_it_off()
    {
        var chat = AutoReplyFixture.NewChat();
        await fixture.Say(chat, "first");
        await Eventually.True(() => fixture.RepliesTo(chat).Count == 1);

        using var operatorReply = await fixture.Service.Client.PostAsJsonAsync("/api/messages",
            new { chatId = chat.ChatId, text = "Anna here, let me check.", senderName = "Anna" }, _ct);
        Assert.Equal(HttpStatusCode.Accepted, operatorReply.StatusCode);
        Assert.False((await ChatOf(chat)).AutoMode);

        var calls = OpenAI.ResponsesCount;
        await fixture.Say(chat, "still there?");
        await fixture.AssertNoRunAsync(chat);
        Assert.Equal(calls, OpenAI.ResponsesCount);
        Assert.Equal(2, fixture.RepliesTo(chat).Count);

        // Handed back by hand: the customer had the last word, so they get an answer now (decision 9).
        using var on = await fixture.Service.Client.PatchAsJsonAsync($"/api/chats/{chat.ChatId}/autoMode", new { autoMode = true }, _ct);
        await Eventually.True(() => fixture.RepliesTo(chat).Count == 3, what: "answered after hand-back");
        Assert.Contains("still there?", fixture.RepliesTo(chat)[2].Content);
    }

    [Fact]
    public async Task An_operator_message_during_a_slow_run_stops_its_reply()
    {
        OpenAI.ResponseLatency = TimeSpan.FromSeconds(2);
        var chat = AutoReplyFixture.NewChat();
        await fixture.Say(chat, "question");
        await Eventually.True(() => OpenAI.ActiveRuns > 0, what: "run started");
        using var human = await fixture.Service.Client.PostAsJsonAsync("/api/messages", new { chatId = chat.ChatId, text = "I'll take this one." }, _ct);
        Assert.Equal(HttpStatusCode.Accepted, human.StatusCode);

        var messages = await Eventually.Get(() => fixture.Service.Client.GetFromJsonAsync<JsonElement>($"/api/chats/{chat.ChatId}/messages", _ct),
            p => p.GetProperty("items").EnumerateArray().Any(m => m.GetProperty("status").GetString() == "discarded"), TimeSpan.FromSeconds(15), "AI reply kept as discarded");
        var discarded = messages.GetProperty("items").EnumerateArray().Single(m => m.GetProperty("status").GetString() == "discarded");
        Assert.Equal("ai", discarded.GetProperty("responseMode").GetString());
        // A chat delivers in order, one at a time: once a later message is out, the discarded reply had its chance.
        using var marker = await fixture.Service.Client.PostAsJsonAsync("/api/messages", new { chatId = chat.ChatId, text = "marker" }, _ct);
        Assert.Equal(HttpStatusCode.Accepted, marker.StatusCode);
        await Eventually.True(() => fixture.RepliesTo(chat).Any(m => m.Content == "marker"), what: "the marker delivered");
        Assert.Equal(["I'll take this one.", "marker"], fixture.RepliesTo(chat).Select(m => m.Content));
    }

    [Fact]
    public async Task A_429_is_waited_out_and_retried()
    {
        var chat = AutoReplyFixture.NewChat();
        OpenAI.FailNext(FakeOpenAIEndpoint.Responses, 429, retryAfter: TimeSpan.FromSeconds(1));
        var before = OpenAI.CountRequests(FakeOpenAIEndpoint.Responses);
        await fixture.Say(chat, "please answer");
        await Eventually.True(() => fixture.RepliesTo(chat).Count == 1, TimeSpan.FromSeconds(15), "answered after the 429");
        Assert.Equal(before + 2, OpenAI.CountRequests(FakeOpenAIEndpoint.Responses));
    }

    [Fact]
    public async Task Server_errors_that_do_not_stop_mark_the_messages_unanswered_and_the_next_message_tries_again()
    {
        var chat = AutoReplyFixture.NewChat();
        OpenAI.FailAlways(FakeOpenAIEndpoint.Responses, 500);
        var received = await fixture.Say(chat, "are you open?");
        var failed = await Eventually.Get(() => ChatOf(chat), c => c.Unanswered, TimeSpan.FromSeconds(15), "chat marked unanswered");
        Assert.NotNull(failed.Error);
        var messages = await Eventually.Get(() => fixture.Service.Client.GetFromJsonAsync<JsonElement>($"/api/chats/{chat.ChatId}/messages", _ct),
            p => p.GetProperty("items")[0].GetProperty("status").GetString() == "unanswered");
        Assert.Equal(received.Message!.Id, messages.GetProperty("items")[0].GetProperty("id").GetString());
        var attempts = OpenAI.CountRequests(FakeOpenAIEndpoint.Responses);
        // No retry storm: past the quiet period and woken, nothing is due until the customer writes again.
        await fixture.AssertNoRunAsync(chat);
        Assert.Equal(attempts, OpenAI.CountRequests(FakeOpenAIEndpoint.Responses));

        OpenAI.ClearFailures();
        await fixture.Say(chat, "hello?");
        await Eventually.True(() => fixture.RepliesTo(chat).Count == 1, TimeSpan.FromSeconds(15), "the next message is answered");
        Assert.Contains("are you open?", fixture.RepliesTo(chat)[0].Content);
        Assert.Contains("hello?", fixture.RepliesTo(chat)[0].Content);
        Assert.False((await ChatOf(chat)).Unanswered);
    }

    [Fact]
    public async Task Groups_are_stored_but_not_answered_by_default()
    {
        var group = AutoReplyFixture.NewChat(group: true);
        var before = OpenAI.ResponsesCount;
        await fixture.Say(group, "hello group");
        await fixture.AssertNoRunAsync(group);
        Assert.Equal(before, OpenAI.ResponsesCount);
        Assert.Empty(fixture.RepliesTo(group));
    }
}

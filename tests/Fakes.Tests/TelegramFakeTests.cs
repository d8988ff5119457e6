using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MessengerAutoReply.Fakes.Telegram;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace MessengerAutoReply.Fakes.Tests;

/// <summary>Drives <see cref="FakeTelegramServer"/> through the real Telegram.Bot client to prove wire fidelity.</summary>
public sealed class TelegramFakeTests : IAsyncLifetime
{
    private FakeTelegramServer _fake = null!;
    private TelegramBotClient _bot = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _fake = await FakeTelegramServer.StartAsync(Ct);
        _bot = NewClient();
    }

    public async ValueTask DisposeAsync() => await _fake.DisposeAsync();

    private TelegramBotClient NewClient(string? token = null, int retryThreshold = 60) =>
        new(new TelegramBotClientOptions(token ?? _fake.Token, _fake.BaseUrl) { RetryThreshold = retryThreshold });

    // ------------------------------------------------------------------ envelope

    [Fact]
    public async Task GetMe_returns_the_bot_user()
    {
        var me = await _bot.GetMe(Ct);

        Assert.True(me.IsBot);
        Assert.Equal(_fake.BotUser.Id, me.Id);
        Assert.Equal("shop_helper_bot", me.Username);
        Assert.True(await _bot.TestApi(Ct));
    }

    [Fact]
    public async Task Wrong_token_is_401_Unauthorized()
    {
        var stranger = NewClient("123456:not-the-token");

        var ex = await Assert.ThrowsAsync<ApiRequestException>(() => stranger.GetMe(Ct));

        Assert.Equal(401, ex.ErrorCode);
        Assert.Equal("Unauthorized", ex.Message);
        Assert.False(await stranger.TestApi(Ct));
    }

    [Fact]
    public async Task Raw_envelope_methods_are_case_insensitive_and_accept_query_form_and_json()
    {
        using var http = new HttpClient();
        var baseUrl = $"{_fake.BaseUrl}/bot{_fake.Token}";

        using var get = await http.GetAsync(new Uri($"{baseUrl}/GETME"), Ct);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("application/json", get.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(await get.Content.ReadAsStringAsync(Ct))!;
        Assert.True(body["ok"]!.GetValue<bool>());
        Assert.True(body["result"]!["is_bot"]!.GetValue<bool>());

        using var unknown = await http.PostAsync(new Uri($"{baseUrl}/noSuchMethod"), null, Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("""{"ok":false,"error_code":404,"description":"Not Found"}""", await unknown.Content.ReadAsStringAsync(Ct));

        using var badPath = await http.GetAsync(new Uri($"{_fake.BaseUrl}/whatever"), Ct);
        Assert.Equal(HttpStatusCode.NotFound, badPath.StatusCode);

        var user = _fake.EnqueueText("hi").ChatId!.Value;
        using var form = await http.PostAsync(new Uri($"{baseUrl}/sendmessage"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["chat_id"] = user.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["text"] = "from a form",
            ["reply_parameters"] = """{"message_id":1}""",
        }), Ct);
        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        using var query = await http.GetAsync(new Uri($"{baseUrl}/sendMessage?chat_id={user}&text=from%20a%20query"), Ct);
        Assert.Equal(HttpStatusCode.OK, query.StatusCode);
        using var json = await http.PostAsync(new Uri($"{baseUrl}/SendMessage"),
            new StringContent($$"""{"chat_id":{{user}},"text":""}""", Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, json.StatusCode);
        Assert.Equal("Bad Request: message text is empty", JsonNode.Parse(await json.Content.ReadAsStringAsync(Ct))!["description"]!.GetValue<string>());

        Assert.Equal(["from a form", "from a query"], _fake.SentMessages.Select(m => m.Text));
        Assert.Equal(1, _fake.SentMessages[0].ReplyToMessageId);
    }

    // ------------------------------------------------------------------ getUpdates

    [Fact]
    public async Task GetUpdates_keeps_updates_until_confirmed_by_offset()
    {
        var first = _fake.EnqueueText("one");
        var second = _fake.EnqueueText("two");

        var batch = await _bot.GetUpdates(cancellationToken: Ct);
        Assert.Equal([first.UpdateId, second.UpdateId], batch.Select(u => u.Id));
        Assert.Equal(second.UpdateId, first.UpdateId + 1);

        var again = await _bot.GetUpdates(limit: 1, cancellationToken: Ct);
        Assert.Equal(first.UpdateId, Assert.Single(again).Id);

        var afterConfirm = await _bot.GetUpdates(offset: first.UpdateId + 1, cancellationToken: Ct);
        Assert.Equal(second.UpdateId, Assert.Single(afterConfirm).Id);
        Assert.Equal(1, _fake.PendingUpdateCount);

        Assert.Empty(await _bot.GetUpdates(offset: second.UpdateId + 1, cancellationToken: Ct));
        Assert.Equal(0, _fake.PendingUpdateCount);
    }

    [Fact]
    public async Task An_offset_that_is_not_one_of_the_queue_is_ignored_and_nothing_is_confirmed_unseen()
    {
        var old = _fake.EnqueueText("before a quiet week");
        Assert.Single(await _bot.GetUpdates(cancellationToken: Ct));
        Assert.Empty(await _bot.GetUpdates(offset: old.UpdateId + 1, cancellationToken: Ct));

        // After a week without updates the server picks the next update_id at random (here far below).
        Assert.Equal(1000, _fake.RestartUpdateIds(1000));
        var fresh = _fake.EnqueueText("after the quiet week");
        Assert.Equal(1000, fresh.UpdateId);

        // The old offset is more than 10 past the queue's tail: ignored, the answer starts at the oldest update.
        var batch = await _bot.GetUpdates(offset: old.UpdateId + 1, cancellationToken: Ct);
        Assert.Equal(fresh.UpdateId, Assert.Single(batch).Id);
        Assert.Equal(1, _fake.IgnoredOffsetCount);
        Assert.Equal(1, _fake.PendingUpdateCount);
        // Within 10 of the tail an offset is valid and confirms what is below it.
        Assert.Empty(await _bot.GetUpdates(offset: fresh.UpdateId + 1, cancellationToken: Ct));
        Assert.Equal(0, _fake.PendingUpdateCount);
    }

    [Fact]
    public async Task An_offset_far_behind_the_queue_is_ignored_too()
    {
        var first = _fake.EnqueueText("one");
        Assert.Empty(await _bot.GetUpdates(offset: first.UpdateId + 1, cancellationToken: Ct));
        _fake.RestartUpdateIds(first.UpdateId + 200_000);
        var later = _fake.EnqueueText("two");

        var batch = await _bot.GetUpdates(offset: first.UpdateId + 1, cancellationToken: Ct);

        Assert.Equal(later.UpdateId, Assert.Single(batch).Id);
        Assert.Equal(1, _fake.IgnoredOffsetCount);
    }

    [Fact]
    public async Task The_same_offset_again_within_half_a_second_gets_one_update()
    {
        var first = _fake.EnqueueText("one");
        _fake.EnqueueText("two");

        Assert.Equal(2, (await _bot.GetUpdates(offset: first.UpdateId, cancellationToken: Ct)).Length);
        // A client that asks again at once (a retry loop) is slowed down by the server, as the real one does.
        Assert.Equal(first.UpdateId, Assert.Single(await _bot.GetUpdates(offset: first.UpdateId, cancellationToken: Ct)).Id);
    }

    [Fact]
    public void Update_ids_restart_only_when_no_update_is_pending()
    {
        _fake.EnqueueText("pending");

        Assert.Throws<InvalidOperationException>(() => _fake.RestartUpdateIds(5));
    }

    [Fact]
    public async Task An_update_allowed_updates_excludes_takes_no_update_id()
    {
        await _bot.GetUpdates(allowedUpdates: [UpdateType.Message], cancellationToken: Ct);
        var kept = _fake.EnqueueText("kept");
        _fake.EnqueueEditedText(kept.MessageId!.Value, "filtered edit");
        var next = _fake.EnqueueText("next");

        var batch = await _bot.GetUpdates(offset: kept.UpdateId, cancellationToken: Ct);

        Assert.Equal([kept.UpdateId, kept.UpdateId + 1], batch.Select(u => u.Id));
        Assert.Equal(next.UpdateId, batch[1].Id);
    }

    [Fact]
    public async Task Negative_offset_keeps_only_the_last_updates()
    {
        _fake.EnqueueText("a");
        _fake.EnqueueText("b");
        var last = _fake.EnqueueText("c");

        var batch = await _bot.GetUpdates(offset: -1, cancellationToken: Ct);

        Assert.Equal(last.UpdateId, Assert.Single(batch).Id);
        Assert.Equal(1, _fake.PendingUpdateCount);
    }

    [Fact]
    public async Task Long_poll_returns_as_soon_as_an_update_is_enqueued()
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var poll = _bot.GetUpdates(timeout: 30, cancellationToken: Ct);
        await _fake.WaitForAsync(f => f.IsLongPollPending, cancellationToken: Ct);
        Assert.False(poll.IsCompleted);

        _fake.EnqueueText("wake up");
        var updates = await poll;

        Assert.Equal("wake up", Assert.Single(updates).Message!.Text);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"long poll took {sw.Elapsed}");
    }

    [Fact]
    public async Task Long_poll_with_nothing_queued_returns_empty_after_timeout()
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var updates = await _bot.GetUpdates(timeout: 1, cancellationToken: Ct);
        Assert.Empty(updates);
        Assert.InRange(sw.Elapsed, TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task TelegramBot_polling_loop_receives_and_confirms_updates()
    {
        _fake.EnqueueText("before start");
        var received = new ConcurrentQueue<string>();
        var errors = new ConcurrentQueue<Exception>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        _bot.StartReceiving(
            (_, update, _) => { received.Enqueue(update.Message?.Text ?? "?"); return Task.CompletedTask; },
            (_, ex, _, _) => { errors.Enqueue(ex); return Task.CompletedTask; },
            cancellationToken: stop.Token);
        await _fake.WaitForAsync(_ => received.Count == 1, cancellationToken: Ct);
        await _fake.WaitForAsync(f => f.IsLongPollPending, cancellationToken: Ct);
        _fake.EnqueueText("while polling");
        await _fake.WaitForAsync(_ => received.Count == 2, cancellationToken: Ct);
        await _fake.WaitForNoPendingUpdatesAsync(cancellationToken: Ct); // the next poll's offset confirmed both
        await stop.CancelAsync();

        Assert.Equal(["before start", "while polling"], received);
        Assert.Empty(errors);
        // The SDK asks for HttpClient.Timeout (100 s) as poll timeout; the fake clamps it to 50 s like the server.
        Assert.All(_fake.CallsTo("getUpdates"), c => Assert.Equal("100", c.Parameters["timeout"]));
    }

    [Fact]
    public async Task Overlapping_polls_terminate_the_older_with_409()
    {
        var older = _bot.GetUpdates(timeout: 30, cancellationToken: Ct);
        await _fake.WaitForAsync(f => f.IsLongPollPending, cancellationToken: Ct);
        var newer = NewClient().GetUpdates(timeout: 30, cancellationToken: Ct);

        var ex = await Assert.ThrowsAsync<ApiRequestException>(() => older);
        Assert.Equal(409, ex.ErrorCode);
        Assert.Equal("Conflict: terminated by other getUpdates request; make sure that only one bot instance is running", ex.Message);

        _fake.EnqueueText("for the newer poll");
        Assert.Single(await newer);
    }

    [Fact]
    public async Task AllowedUpdates_filter_is_sticky_and_applies_to_new_updates()
    {
        await _bot.GetUpdates(allowedUpdates: [UpdateType.EditedMessage], cancellationToken: Ct);
        _fake.EnqueueText("filtered out");
        var edit = _fake.EnqueueEditedText(1, "kept");

        var batch = await _bot.GetUpdates(cancellationToken: Ct);

        Assert.Equal(edit.UpdateId, Assert.Single(batch).Id);
        Assert.Equal(1, _fake.FilteredUpdateCount);
    }

    // ------------------------------------------------------------------ typed parsing

    [Fact]
    public async Task Every_message_kind_deserializes_in_TelegramBot()
    {
        var voiceFile = _fake.AddFile("OggS-voice"u8.ToArray(), "voice", "oga", "audio/ogg");
        var text = _fake.EnqueueText("Hi! See https://example.com/order/77");
        _fake.EnqueueEditedText(text.MessageId!.Value, "Hi! Edited");
        _fake.EnqueuePhoto("Is this under warranty?");
        _fake.EnqueueVoice(voiceFile, 7);
        _fake.EnqueueAudio();
        _fake.EnqueueDocument(caption: "Invoice attached");
        _fake.EnqueueSticker();
        _fake.EnqueueVideo(caption: "clip");
        _fake.EnqueueVideoNote();
        _fake.EnqueueLocation(52.52, 13.405);
        _fake.EnqueueContact("+49301234567", "Oleg", userId: 5099999999);
        _fake.EnqueuePoll("Which day?", ["Saturday", "Sunday"]);

        var u = await _bot.GetUpdates(cancellationToken: Ct);
        Assert.Equal(12, u.Length);

        Assert.Equal(MessageType.Text, u[0].Message!.Type);
        Assert.Equal(MessageEntityType.Url, Assert.Single(u[0].Message!.Entities!).Type);
        Assert.Equal(ChatType.Private, u[0].Message!.Chat.Type);
        Assert.Equal("Anna", u[0].Message!.From!.FirstName);
        Assert.False(u[0].Message!.From!.IsBot);

        Assert.Equal(UpdateType.EditedMessage, u[1].Type);
        Assert.Equal(text.MessageId, u[1].EditedMessage!.Id);
        Assert.NotNull(u[1].EditedMessage!.EditDate);

        var photo = u[2].Message!;
        Assert.Equal(MessageType.Photo, photo.Type);
        Assert.Equal(3, photo.Photo!.Length);
        Assert.Equal(1280, photo.Photo[^1].Width);
        Assert.Equal("Is this under warranty?", photo.Caption);

        Assert.Equal(MessageType.Voice, u[3].Message!.Type);
        Assert.Equal(voiceFile.FileId, u[3].Message!.Voice!.FileId);
        Assert.Equal(7, u[3].Message!.Voice!.Duration);
        Assert.Equal("audio/ogg", u[3].Message!.Voice!.MimeType);

        Assert.Equal(MessageType.Audio, u[4].Message!.Type);
        Assert.Equal("Track", u[4].Message!.Audio!.Title);

        Assert.Equal(MessageType.Document, u[5].Message!.Type);
        Assert.Equal("invoice-2026-031.pdf", u[5].Message!.Document!.FileName);
        Assert.Equal("Invoice attached", u[5].Message!.Caption);

        Assert.Equal(MessageType.Sticker, u[6].Message!.Type);
        Assert.Equal("👍", u[6].Message!.Sticker!.Emoji);
        Assert.Equal(StickerType.Regular, u[6].Message!.Sticker!.Type);

        Assert.Equal(MessageType.Video, u[7].Message!.Type);
        Assert.Equal(1280, u[7].Message!.Video!.Width);

        Assert.Equal(MessageType.VideoNote, u[8].Message!.Type);
        Assert.Equal(384, u[8].Message!.VideoNote!.Length);

        Assert.Equal(MessageType.Location, u[9].Message!.Type);
        Assert.Equal(52.52, u[9].Message!.Location!.Latitude, 3);

        Assert.Equal(MessageType.Contact, u[10].Message!.Type);
        Assert.Equal("+49301234567", u[10].Message!.Contact!.PhoneNumber);
        Assert.Equal(5099999999, u[10].Message!.Contact!.UserId);

        Assert.Equal(MessageType.Poll, u[11].Message!.Type);
        Assert.Equal(["Saturday", "Sunday"], u[11].Message!.Poll!.Options.Select(o => o.Text));
    }

    [Fact]
    public async Task Group_messages_carry_title_type_and_member_sender()
    {
        var group = _fake.CreateGroup("Shop customers", supergroup: true, username: "shop_customers");
        var basic = _fake.CreateGroup("Family", supergroup: false);
        var oleg = _fake.CreateUser("Oleg");
        _fake.EnqueueText("@shop_helper_bot what are the opening hours?", oleg, group);
        _fake.EnqueueText("hello all", oleg, basic);

        var u = await _bot.GetUpdates(cancellationToken: Ct);

        var m = u[0].Message!;
        Assert.Equal(ChatType.Supergroup, m.Chat.Type);
        Assert.Equal("Shop customers", m.Chat.Title);
        Assert.StartsWith("-100", m.Chat.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Equal(oleg.Id, m.From!.Id);
        var mention = Assert.Single(m.Entities!);
        Assert.Equal(MessageEntityType.Mention, mention.Type);
        Assert.Equal("@shop_helper_bot", m.Text!.Substring(mention.Offset, mention.Length));
        Assert.Equal(ChatType.Group, u[1].Message!.Chat.Type);
        Assert.True(u[1].Message!.Chat.Id < 0);

        var reply = await _bot.SendMessage(group.Id, "We open at 10:00", replyParameters: m.Id, cancellationToken: Ct);
        Assert.Equal(m.Id, reply.ReplyToMessage!.Id);
        Assert.Equal(ChatType.Supergroup, reply.Chat.Type);
    }

    [Fact]
    public async Task Raw_json_update_is_delivered_verbatim()
    {
        _fake.EnqueueUpdate("""
            {"update_id": 900000001, "message": {"message_id": 4101,
              "from": {"id": 5012345678, "is_bot": false, "first_name": "Anna"},
              "chat": {"id": 5012345678, "first_name": "Anna", "type": "private"},
              "date": 1767268800, "text": "raw"}}
            """);

        var u = Assert.Single(await _bot.GetUpdates(cancellationToken: Ct));

        Assert.Equal(900000001, u.Id);
        Assert.Equal(new DateTime(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc), u.Message!.Date);
        Assert.Equal(900000002, _fake.NextUpdateId);
        var sent = await _bot.SendMessage(5012345678, "reply", cancellationToken: Ct);
        Assert.Equal(4102, sent.Id); // per-chat ids continue after the raw message's id
    }

    // ------------------------------------------------------------------ sending

    [Fact]
    public async Task SendMessage_returns_a_full_message_and_is_recorded()
    {
        var incoming = _fake.EnqueueText("Do you deliver on Sundays?");
        var chatId = incoming.ChatId!.Value;

        var first = await _bot.SendMessage(chatId, "<b>Yes</b>, 10:00–16:00", ParseMode.Html, replyParameters: incoming.MessageId!.Value, cancellationToken: Ct);
        var second = await _bot.SendMessage(chatId, "Anything else?", cancellationToken: Ct);

        Assert.Equal("Yes, 10:00–16:00", first.Text);
        Assert.True(first.From!.IsBot);
        Assert.Equal(_fake.BotUser.Id, first.From.Id);
        Assert.Equal(chatId, first.Chat.Id);
        Assert.Equal(incoming.MessageId, first.ReplyToMessage!.Id);
        Assert.Equal("Do you deliver on Sundays?", first.ReplyToMessage.Text);
        Assert.Equal(first.Id + 1, second.Id);
        Assert.InRange(first.Date, DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddMinutes(1));

        var sent = await _fake.WaitForSentMessagesAsync(2, cancellationToken: Ct);
        Assert.Equal("<b>Yes</b>, 10:00–16:00", sent[0].Text);
        Assert.Equal("Html", sent[0].ParseMode);
        Assert.Equal(incoming.MessageId, sent[0].ReplyToMessageId);
        Assert.Equal(second.Id, sent[1].MessageId);
        Assert.Equal(2, _fake.CallCount("sendMessage"));
    }

    [Fact]
    public async Task Concurrent_sends_get_unique_consecutive_message_ids()
    {
        var chatId = _fake.EnqueueText("hi").ChatId!.Value;

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => _bot.SendMessage(chatId, $"m{i}", cancellationToken: Ct)));

        var ids = results.Select(m => m.Id).Order().ToArray();
        Assert.Equal(Enumerable.Range(ids[0], 50), ids);
        Assert.Equal(50, _fake.SentMessages.Select(m => m.MessageId).Distinct().Count());
    }

    [Fact]
    public async Task SendMessage_enforces_the_4096_character_limit_after_entity_parsing()
    {
        var chatId = _fake.EnqueueText("hi").ChatId!.Value;

        await _bot.SendMessage(chatId, new string('a', 4096), cancellationToken: Ct);
        await _bot.SendMessage(chatId, "<b>" + new string('a', 4096) + "</b>", ParseMode.Html, cancellationToken: Ct);
        var tooLong = await Assert.ThrowsAsync<ApiRequestException>(() => _bot.SendMessage(chatId, new string('a', 4097), cancellationToken: Ct));
        var empty = await Assert.ThrowsAsync<ApiRequestException>(() => _bot.SendMessage(chatId, "", cancellationToken: Ct));
        var unknownChat = await Assert.ThrowsAsync<ApiRequestException>(() => _bot.SendMessage(42, "hi", cancellationToken: Ct));

        Assert.Equal((400, "Bad Request: message is too long"), (tooLong.ErrorCode, tooLong.Message));
        Assert.Equal((400, "Bad Request: message text is empty"), (empty.ErrorCode, empty.Message));
        Assert.Equal((400, "Bad Request: chat not found"), (unknownChat.ErrorCode, unknownChat.Message));
        Assert.Equal(2, _fake.SentMessages.Count);
    }

    [Fact]
    public async Task Injected_429_is_retried_by_TelegramBot_when_retry_after_is_small()
    {
        var chatId = _fake.EnqueueText("hi").ChatId!.Value;
        _fake.FailNext("sendMessage", chatId, 429, retryAfter: 1);

        var msg = await _bot.SendMessage(chatId, "eventually", cancellationToken: Ct);

        Assert.Equal("eventually", msg.Text);
        Assert.Equal([429, 200], _fake.CallsTo("sendMessage").Select(c => c.StatusCode));
        Assert.Equal(1, _fake.TooManyRequestsCount);
    }

    [Fact]
    public async Task Injected_429_surfaces_RetryAfter_when_auto_retry_is_off()
    {
        var chatId = _fake.EnqueueText("hi").ChatId!.Value;
        _fake.FailNext("sendMessage", chatId, 429, retryAfter: 5);
        var noRetry = NewClient(retryThreshold: 0);

        var ex = await Assert.ThrowsAsync<ApiRequestException>(() => noRetry.SendMessage(chatId, "x", cancellationToken: Ct));

        Assert.Equal(429, ex.ErrorCode);
        Assert.Equal("Too Many Requests: retry after 5", ex.Message);
        Assert.Equal(5, ex.Parameters!.RetryAfter);

        // retry_after above the client's threshold also surfaces, without waiting.
        _fake.FailNext("sendMessage", null, 429, retryAfter: 100);
        var ex2 = await Assert.ThrowsAsync<ApiRequestException>(() => _bot.SendMessage(chatId, "x", cancellationToken: Ct));
        Assert.Equal(100, ex2.Parameters!.RetryAfter);
    }

    [Fact]
    public async Task Raw_429_has_parameters_and_Retry_After_header()
    {
        var chatId = _fake.EnqueueText("hi").ChatId!.Value;
        _fake.FailNext("SENDMESSAGE", errorCode: 429, retryAfter: 7);
        using var http = new HttpClient();

        using var res = await http.PostAsync(new Uri($"{_fake.BaseUrl}/bot{_fake.Token}/sendMessage"),
            new StringContent($$"""{"chat_id":{{chatId}},"text":"x"}""", Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.TooManyRequests, res.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), res.Headers.RetryAfter?.Delta);
        Assert.Equal("""{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}""",
            await res.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Injected_5xx_surfaces_as_ApiRequestException()
    {
        _fake.FailNext("getMe", errorCode: 502);
        var ex = await Assert.ThrowsAsync<ApiRequestException>(() => _bot.GetMe(Ct));
        Assert.Equal((502, "Bad Gateway"), (ex.ErrorCode, ex.Message));
        Assert.True((await _bot.GetMe(Ct)).IsBot); // only the next call fails
    }

    [Fact]
    public async Task Blocked_and_deactivated_users_answer_403()
    {
        var anna = _fake.EnqueueText("hi").ChatId!.Value;
        var oleg = _fake.CreateUser("Oleg");
        _fake.EnqueueText("hi", oleg);
        _fake.BlockChat(anna);
        _fake.DeactivateUser(oleg.Id);

        var blocked = await Assert.ThrowsAsync<ApiRequestException>(() => _bot.SendMessage(anna, "x", cancellationToken: Ct));
        var action = await Assert.ThrowsAsync<ApiRequestException>(() => _bot.SendChatAction(anna, ChatAction.Typing, cancellationToken: Ct));
        var deactivated = await Assert.ThrowsAsync<ApiRequestException>(() => _bot.SendMessage(oleg.Id, "x", cancellationToken: Ct));

        Assert.Equal((403, "Forbidden: bot was blocked by the user"), (blocked.ErrorCode, blocked.Message));
        Assert.Equal(403, action.ErrorCode);
        Assert.Equal((403, "Forbidden: user is deactivated"), (deactivated.ErrorCode, deactivated.Message));
        Assert.Empty(_fake.SentMessages);
    }

    [Fact]
    public async Task Flood_limits_answer_429_per_private_chat_when_enabled()
    {
        var chatId = _fake.EnqueueText("hi").ChatId!.Value;
        _fake.FloodLimitsEnabled = true;
        _fake.FloodPrivateChatWindow = TimeSpan.FromSeconds(30);
        var noRetry = NewClient(retryThreshold: 0);

        await noRetry.SendMessage(chatId, "first", cancellationToken: Ct);
        var ex = await Assert.ThrowsAsync<ApiRequestException>(() => noRetry.SendMessage(chatId, "second", cancellationToken: Ct));

        Assert.Equal(429, ex.ErrorCode);
        Assert.InRange(ex.Parameters!.RetryAfter!.Value, 29, 30);
        Assert.Equal(1, _fake.TooManyRequestsCount);

        var group = _fake.CreateGroup("Busy group");
        _fake.FloodGroupLimit = 2;
        await noRetry.SendMessage(group.Id, "g1", cancellationToken: Ct);
        await noRetry.SendMessage(group.Id, "g2", cancellationToken: Ct);
        var gex = await Assert.ThrowsAsync<ApiRequestException>(() => noRetry.SendMessage(group.Id, "g3", cancellationToken: Ct));
        Assert.InRange(gex.Parameters!.RetryAfter!.Value, 55, 60);
        Assert.Equal(2, _fake.TooManyRequestsCount);
    }

    [Fact]
    public async Task ChatActions_edits_and_uploads_are_recorded()
    {
        var incoming = _fake.EnqueueText("hi");
        var chatId = incoming.ChatId!.Value;

        await _bot.SendChatAction(chatId, ChatAction.RecordVoice, cancellationToken: Ct);
        var action = await _fake.WaitForChatActionAsync(a => a.ChatId == chatId, cancellationToken: Ct);
        Assert.Equal("record_voice", action.Action);

        var sent = await _bot.SendMessage(chatId, "draft", cancellationToken: Ct);
        var edited = await _bot.EditMessageText(chatId, sent.Id, "final", cancellationToken: Ct);
        Assert.Equal("final", edited.Text);
        Assert.NotNull(edited.EditDate);
        var notModified = await Assert.ThrowsAsync<ApiRequestException>(() => _bot.EditMessageText(chatId, sent.Id, "final", cancellationToken: Ct));
        Assert.StartsWith("Bad Request: message is not modified", notModified.Message, StringComparison.Ordinal);
        var notMine = await Assert.ThrowsAsync<ApiRequestException>(() => _bot.EditMessageText(chatId, incoming.MessageId!.Value, "x", cancellationToken: Ct));
        Assert.Equal("Bad Request: message can't be edited", notMine.Message);

        using var photo = new MemoryStream([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]);
        var photoMessage = await _bot.SendPhoto(chatId, InputFile.FromStream(photo, "reply.jpg"), caption: "here", cancellationToken: Ct);
        Assert.Equal("here", photoMessage.Caption);
        var recorded = _fake.SentMessages[^1];
        Assert.Equal("sendPhoto", recorded.Method);
        Assert.Equal([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3], Assert.Single(recorded.Files).Content);

        // The uploaded photo is downloadable again through getFile.
        using var back = new MemoryStream();
        await _bot.GetInfoAndDownloadFile(photoMessage.Photo![^1].FileId, back, Ct);
        Assert.Equal([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3], back.ToArray());
    }

    // ------------------------------------------------------------------ files

    [Fact]
    public async Task GetFile_and_DownloadFile_round_trip_and_size_limit()
    {
        var ogg = "OggS\0\u0002fake-opus-payload"u8.ToArray();
        var voice = _fake.AddFile(ogg, "voice", "oga", "audio/ogg");
        var huge = _fake.AddFile([1, 2, 3], "documents", "zip", declaredSize: 25L << 20);
        _fake.EnqueueVoice(voice);
        var update = Assert.Single(await _bot.GetUpdates(cancellationToken: Ct));

        var file = await _bot.GetFile(update.Message!.Voice!.FileId, Ct);
        Assert.Equal("voice/" + Path.GetFileName(voice.FilePath), file.FilePath);
        Assert.Equal(ogg.Length, file.FileSize);
        using var ms = new MemoryStream();
        await _bot.DownloadFile(file, ms, Ct);
        Assert.Equal(ogg, ms.ToArray());
        Assert.Equal([voice.FilePath], _fake.FileDownloads);

        var tooBig = await Assert.ThrowsAsync<ApiRequestException>(() => _bot.GetFile(huge.FileId, Ct));
        Assert.Equal((400, "Bad Request: file is too big"), (tooBig.ErrorCode, tooBig.Message));
        var invalid = await Assert.ThrowsAsync<ApiRequestException>(() => _bot.GetFile("nope", Ct));
        Assert.Equal("Bad Request: invalid file_id", invalid.Message);

        using var http = new HttpClient();
        using var missing = await http.GetAsync(new Uri($"{_fake.BaseUrl}/file/bot{_fake.Token}/voice/none.oga"), Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        await Assert.ThrowsAnyAsync<RequestException>(() => _bot.DownloadFile("voice/none.oga", new MemoryStream(), Ct));
    }

    // ------------------------------------------------------------------ webhook

    [Fact]
    public async Task Webhook_posts_updates_with_secret_retries_after_500_and_blocks_getUpdates()
    {
        await using var listener = await WebhookListener.StartAsync(Ct);
        listener.Statuses.Enqueue(500);
        _fake.WebhookRetryDelay = TimeSpan.FromMilliseconds(10);

        await _bot.SetWebhook(listener.Url, secretToken: "s3cr3t_-TOKEN", allowedUpdates: [UpdateType.Message], cancellationToken: Ct);
        var first = _fake.EnqueueText("via webhook");
        var second = _fake.EnqueueText("second");

        await _fake.WaitForWebhookDeliveriesAsync(2, cancellationToken: Ct);
        var attempts = _fake.WebhookAttempts;
        Assert.Equal([500, 200, 200], attempts.Select(a => a.StatusCode));
        Assert.Equal([first.UpdateId, first.UpdateId, second.UpdateId], attempts.Select(a => a.UpdateId));

        var received = listener.Received.ToArray();
        Assert.Equal(3, received.Length);
        Assert.All(received, r => Assert.Equal("s3cr3t_-TOKEN", r.Secret));
        Assert.All(received, r => Assert.Equal("application/json", r.ContentType));
        var parsed = JsonSerializer.Deserialize<Update>(received[2].Body, JsonBotAPI.Options)!;
        Assert.Equal(second.UpdateId, parsed.Id);
        Assert.Equal("second", parsed.Message!.Text);

        var info = await _bot.GetWebhookInfo(Ct);
        Assert.Equal(listener.Url, info.Url);
        Assert.Equal(0, info.PendingUpdateCount);
        Assert.Equal("Wrong response from the webhook: 500 Internal Server Error", info.LastErrorMessage);
        Assert.NotNull(info.LastErrorDate);
        Assert.Equal([UpdateType.Message], info.AllowedUpdates);

        var conflict = await Assert.ThrowsAsync<ApiRequestException>(() => _bot.GetUpdates(cancellationToken: Ct));
        Assert.Equal((409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"),
            (conflict.ErrorCode, conflict.Message));

        await _bot.DeleteWebhook(cancellationToken: Ct);
        Assert.Equal("", (await _bot.GetWebhookInfo(Ct)).Url);
        _fake.EnqueueText("polling again");
        Assert.Equal("polling again", Assert.Single(await _bot.GetUpdates(cancellationToken: Ct)).Message!.Text);
    }

    [Fact]
    public async Task SetWebhook_ends_a_pending_long_poll_and_validates_the_secret()
    {
        await using var listener = await WebhookListener.StartAsync(Ct);
        var poll = _bot.GetUpdates(timeout: 30, cancellationToken: Ct);
        await _fake.WaitForAsync(f => f.IsLongPollPending, cancellationToken: Ct);

        var bad = await Assert.ThrowsAsync<ApiRequestException>(() => _bot.SetWebhook(listener.Url, secretToken: "no spaces!", cancellationToken: Ct));
        Assert.Equal("Bad Request: secret token contains unallowed characters", bad.Message);
        await _bot.SetWebhook(listener.Url, cancellationToken: Ct);

        var ex = await Assert.ThrowsAsync<ApiRequestException>(() => poll);
        Assert.Equal((409, "Conflict: terminated by setWebhook request"), (ex.ErrorCode, ex.Message));

        _fake.EnqueueText("no secret");
        await _fake.WaitForWebhookDeliveriesAsync(1, cancellationToken: Ct);
        Assert.Null(Assert.Single(listener.Received).Secret);
    }

    [Fact]
    public async Task Webhook_redelivers_a_duplicate_update_id_on_request()
    {
        await using var listener = await WebhookListener.StartAsync(Ct);
        await _bot.SetWebhook(listener.Url, dropPendingUpdates: true, cancellationToken: Ct);
        var u = _fake.EnqueueText("once");
        _fake.RedeliverUpdate(u.UpdateId);

        await _fake.WaitForWebhookDeliveriesAsync(2, cancellationToken: Ct);

        Assert.Equal([u.UpdateId, u.UpdateId], listener.Received.Select(r => JsonNode.Parse(r.Body)!["update_id"]!.GetValue<int>()));
    }

    /// <summary>The service side of a webhook: a tiny Kestrel app that answers with queued status codes (200 when empty).</summary>
    private sealed class WebhookListener : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private WebhookListener(WebApplication app, string baseUrl)
        {
            _app = app;
            Url = baseUrl + "/telegram/webhook";
        }

        public string Url { get; }
        public ConcurrentQueue<int> Statuses { get; } = new();
        public ConcurrentQueue<(string? Secret, string? ContentType, string Body)> Received { get; } = new();

        public static async Task<WebhookListener> StartAsync(CancellationToken ct)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            WebhookListener? self = null;
            app.Run(async ctx =>
            {
                using var reader = new StreamReader(ctx.Request.Body);
                var body = await reader.ReadToEndAsync(ctx.RequestAborted);
                var secret = ctx.Request.Headers.TryGetValue("X-Telegram-Bot-Api-Secret-Token", out var s) ? s.ToString() : null;
                self!.Received.Enqueue((secret, ctx.Request.ContentType, body));
                ctx.Response.StatusCode = self.Statuses.TryDequeue(out var status) ? status : 200;
            });
            await app.StartAsync(ct);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            self = new WebhookListener(app, address.TrimEnd('/'));
            return self;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }
    }
}

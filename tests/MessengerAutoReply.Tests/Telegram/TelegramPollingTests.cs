using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Delivery;
using MessengerAutoReply.Fakes.Telegram;
using MessengerAutoReply.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static MessengerAutoReply.Tests.Telegram.TelegramTestKit;

namespace MessengerAutoReply.Tests.Telegram;

public sealed class TelegramPollingTests(TelegramPollingFixture fixture) : IClassFixture<TelegramPollingFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private FakeTelegramServer Fake => fixture.Fake;

    private HttpClient Api => fixture.Service.Client;

    private static string Id(int? messageId) => messageId!.Value.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_text_becomes_a_message_and_its_update_is_confirmed_only_after()
    {
        var user = Fake.CreateUser("Anna", "Petrova", "anna_p");
        fixture.Storage.Hold("chat", ChatIdOf(user.Id));
        EnqueuedUpdate update;
        try
        {
            update = Fake.EnqueueText("Hi! Do you deliver on Sundays?", from: user);
            await fixture.Storage.WaitForHeldWriteAsync();
            // The chat grain is writing the message: until that write is durable, no offset may confirm it.
            Assert.True(Fake.IsUpdatePending(update.UpdateId), "the update is still unconfirmed at the fake");
            Assert.DoesNotContain(Fake.CallsTo("getUpdates"), c => Offset(c) > update.UpdateId);
        }
        finally
        {
            fixture.Storage.Release();
        }

        var message = await WaitForMessageAsync(Api, ChatIdOf(user.Id), Id(update.MessageId));
        Assert.Equal(MessageTypes.Text, message.Type);
        Assert.Equal("Hi! Do you deliver on Sundays?", message.Content);
        Assert.Equal(Sources.Telegram, message.Source);
        Assert.Equal(Platforms.Telegram, message.Platform);
        Assert.True(message.IsIncoming);
        Assert.Equal(user.Id.ToString(CultureInfo.InvariantCulture), message.SenderId);
        Assert.Equal("Anna Petrova", message.SenderName);
        var chat = await ChatAsync(Api, ChatIdOf(user.Id));
        Assert.Equal("Anna Petrova", chat!.Name);
        Assert.False(chat.IsGroup);
        Assert.Equal(user.Id.ToString(CultureInfo.InvariantCulture), chat.PlatformChatId);

        // The offset that confirms the update goes out with a later getUpdates, never with the one that fetched it.
        await Fake.WaitForAsync(f => f.CallsTo("getUpdates").Any(c => Offset(c) > update.UpdateId), cancellationToken: Ct);
        var calls = Fake.CallsTo("getUpdates");
        var fetching = calls.First(c => c.StatusCode == 200 && Offset(c) <= update.UpdateId);
        Assert.Equal("5", fetching.Parameters["timeout"]);
        Assert.Contains("edited_message", fetching.Parameters["allowed_updates"], StringComparison.Ordinal);
        Assert.Equal(0, Fake.CallCount("setWebhook"));
        Assert.True(Fake.CallCount("deleteWebhook") >= 1);
    }

    [Fact]
    public async Task Every_message_kind_is_stored_with_its_type_and_a_readable_content()
    {
        var user = Fake.CreateUser("Boris");
        var chatId = ChatIdOf(user.Id);
        var voiceFile = Fake.AddFile("OggS-voice-bytes"u8.ToArray(), "voice", "oga", "audio/ogg");
        var photo = Fake.EnqueuePhoto("Is this part still under warranty?", from: user);
        var voice = Fake.EnqueueVoice(voiceFile, from: user);
        var audio = Fake.EnqueueAudio(performer: "Queen", title: "Bohemian Rhapsody", fileName: "song.mp3", from: user);
        var document = Fake.EnqueueDocument(fileName: "invoice.pdf", caption: "Invoice attached", from: user);
        var sticker = Fake.EnqueueSticker("😂", from: user);
        var video = Fake.EnqueueVideo(durationSeconds: 12, caption: null, from: user);
        var videoNote = Fake.EnqueueVideoNote(durationSeconds: 8, from: user);
        var location = Fake.EnqueueLocation(55.751244, 37.618423, from: user);
        var contact = Fake.EnqueueContact("+79001234567", "Ivan", "Sidorov", from: user);
        var poll = Fake.EnqueuePoll("Which day?", ["Saturday", "Sunday"], from: user);

        var all = await WaitForMessagesAsync(Api, chatId, list => list.Count == 10 && list.Where(m => m.Type is "image" or "voice" or "audio" or "document")
            .All(m => m.MediaFileId is not null), "10 messages with their files");
        ChatMessage Of(EnqueuedUpdate u) => all.Single(m => m.PlatformMessageId == Id(u.MessageId));

        Assert.Equal(("image", "Is this part still under warranty?"), (Of(photo).Type, Of(photo).Content));
        Assert.Equal("voice", Of(voice).Type);
        Assert.Equal(("audio", "Queen – Bohemian Rhapsody", "song.mp3"), (Of(audio).Type, Of(audio).Content, Of(audio).FileName));
        Assert.Equal(("document", "Invoice attached", "invoice.pdf", "application/pdf"), (Of(document).Type, Of(document).Content, Of(document).FileName, Of(document).MimeType));
        Assert.Equal(("sticker", "😂"), (Of(sticker).Type, Of(sticker).Content));
        Assert.Equal(("video", "Video, 12 s"), (Of(video).Type, Of(video).Content));
        Assert.Equal(("video_note", "Video note, 8 s"), (Of(videoNote).Type, Of(videoNote).Content));
        Assert.Equal(("location", "Location: 55.751244, 37.618423"), (Of(location).Type, Of(location).Content));
        Assert.Equal(("contact", "Contact: Ivan Sidorov, +79001234567"), (Of(contact).Type, Of(contact).Content));
        Assert.Equal(("poll", "Poll: Which day? — Saturday / Sunday"), (Of(poll).Type, Of(poll).Content));

        // The voice note's bytes went through getFile + download into the media store.
        using var media = await Api.GetAsync(new Uri($"/api/media/{Of(voice).MediaFileId}", UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.OK, media.StatusCode);
        Assert.Equal("audio/ogg", media.Content.Headers.ContentType?.MediaType);
        Assert.Equal(voiceFile.Content, await media.Content.ReadAsByteArrayAsync(Ct));
        // Only the largest photo size is fetched.
        var sizes = photo.Update["message"]!["photo"]!.AsArray();
        var largestId = sizes[^1]!["file_id"]!.GetValue<string>();
        var photoFetches = Fake.CallsTo("getFile").Where(c => sizes.Any(s => s!["file_id"]!.GetValue<string>() == c.Parameters["file_id"])).ToList();
        Assert.Equal(largestId, Assert.Single(photoFetches).Parameters["file_id"]);
    }

    [Fact]
    public async Task Video_video_note_sticker_and_GIF_files_are_fetched_and_served()
    {
        var user = Fake.CreateUser("Vera");
        var chatId = ChatIdOf(user.Id);
        var video = Fake.EnqueueVideo(durationSeconds: 5, caption: "Unboxing", from: user);
        var videoNote = Fake.EnqueueVideoNote(from: user);
        var sticker = Fake.EnqueueSticker("🎉", from: user);
        var gif = Fake.EnqueueAnimation(from: user);

        var all = await WaitForMessagesAsync(Api, chatId, l => l.Count == 4 && l.All(m => m.MediaFileId is not null), "4 messages with their files");
        foreach (var (update, kind, type, mime) in new[]
        {
            (video, "video", "video", "video/mp4"),
            (videoNote, "video_note", "video_note", "video/mp4"),
            (sticker, "sticker", "sticker", "image/webp"),
            (gif, "animation", "video", "video/mp4"),
        })
        {
            var message = all.Single(m => m.PlatformMessageId == Id(update.MessageId));
            Assert.Equal(type, message.Type);
            var file = Fake.FileById(update.Update["message"]![kind]!["file_id"]!.GetValue<string>())!;
            using var media = await Api.GetAsync(new Uri($"/api/media/{message.MediaFileId}", UriKind.Relative), Ct);
            Assert.Equal(HttpStatusCode.OK, media.StatusCode);
            Assert.Equal(mime, media.Content.Headers.ContentType?.MediaType);
            Assert.Equal(file.Content, await media.Content.ReadAsByteArrayAsync(Ct));
        }
        Assert.Equal("Unboxing", all.Single(m => m.PlatformMessageId == Id(video.MessageId)).Content);
        Assert.Equal("GIF", all.Single(m => m.PlatformMessageId == Id(gif.MessageId)).Content);
    }

    [Fact]
    public async Task A_document_over_20_MB_is_stored_without_its_file()
    {
        var user = Fake.CreateUser("Clara");
        var big = Fake.AddFile("%PDF-1.4 big"u8.ToArray(), "documents", "pdf", "application/pdf", declaredSize: 25L << 20);
        var update = Fake.EnqueueDocument(big, fileName: "catalogue.pdf", caption: "Our catalogue", from: user);

        var message = await WaitForMessageAsync(Api, ChatIdOf(user.Id), Id(update.MessageId), m => m.Error is not null);
        Assert.Equal(("document", "Our catalogue", "catalogue.pdf"), (message.Type, message.Content, message.FileName));
        Assert.Null(message.MediaFileId);
        Assert.Contains("20 MB", message.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(Fake.CallsTo("getFile"), c => c.Parameters["file_id"] == big.FileId);
    }

    [Fact]
    public async Task Group_messages_name_the_group_and_the_member()
    {
        var group = Fake.CreateGroup("Shop customers");
        var member = Fake.CreateUser("Oleg", "Ivanov");
        var update = Fake.EnqueueText("What are the opening hours?", from: member, chat: group);

        var message = await WaitForMessageAsync(Api, ChatIdOf(group.Id), Id(update.MessageId));
        Assert.Equal("Oleg Ivanov", message.SenderName);
        Assert.Equal(member.Id.ToString(CultureInfo.InvariantCulture), message.SenderId);
        var chat = await ChatAsync(Api, ChatIdOf(group.Id));
        Assert.Equal("Shop customers", chat!.Name);
        Assert.True(chat.IsGroup);
    }

    [Fact]
    public async Task An_edit_updates_the_stored_message_and_a_redelivered_update_is_stored_once()
    {
        var user = Fake.CreateUser("Dmitry");
        var chatId = ChatIdOf(user.Id);
        var original = Fake.EnqueueText("Do you deliver on Sundays?", from: user);
        await WaitForMessageAsync(Api, chatId, Id(original.MessageId));

        Fake.EnqueueEditedText(original.MessageId!.Value, "Do you deliver on Saturdays?", from: user);
        var edited = await WaitForMessageAsync(Api, chatId, Id(original.MessageId), m => m.Content == "Do you deliver on Saturdays?");
        Assert.Equal(ChatIds.ForIncoming(chatId, Id(original.MessageId)), edited.Id);

        Fake.RedeliverUpdate(original.UpdateId);
        Fake.EnqueueText("marker", from: user);
        var all = await WaitForMessagesAsync(Api, chatId, l => l.Any(m => m.Content == "marker"), "the marker after the redelivery");
        Assert.Equal(2, all.Count);
        Assert.Equal("Do you deliver on Saturdays?", all.Single(m => m.PlatformMessageId == Id(original.MessageId)).Content);
        await Fake.WaitForNoPendingUpdatesAsync(cancellationToken: Ct);
    }

    [Fact]
    public async Task Updates_without_a_message_are_acknowledged()
    {
        var user = Fake.CreateUser("Elena");
        Fake.EnqueueText("hello", from: user);
        Fake.BlockChat(user.Id, emitMyChatMemberUpdate: true);
        Fake.UnblockChat(user.Id);

        await Fake.WaitForNoPendingUpdatesAsync(cancellationToken: Ct);
        var messages = await WaitForMessagesAsync(Api, ChatIdOf(user.Id), l => l.Count == 1, "the text only");
        Assert.Equal("hello", messages[0].Content);
    }

    [Fact]
    public async Task A_posted_message_goes_out_with_Telegrams_message_id()
    {
        var user = Fake.CreateUser("Fedor");
        var update = Fake.EnqueueText("hi", from: user);
        await WaitForMessageAsync(Api, ChatIdOf(user.Id), Id(update.MessageId));

        var posted = await PostAsync(user.Id, "Yes, we deliver on Sundays from 10:00 to 16:00.");
        var sent = await Fake.WaitForSentMessageAsync(s => s.ChatId == user.Id, cancellationToken: Ct);
        var stored = await WaitForMessageAsync(Api, ChatIdOf(user.Id), sent.MessageId.ToString(CultureInfo.InvariantCulture), m => m.Status == MessageStatus.Sent);
        Assert.Equal(posted.Id, stored.Id);
        Assert.Equal("Yes, we deliver on Sundays from 10:00 to 16:00.", sent.Text);
        Assert.False(stored.IsIncoming);
    }

    [Fact]
    public async Task A_200_with_an_unreadable_body_is_sent_once_and_never_again()
    {
        var user = Fake.CreateUser("Unreadable");
        Fake.AddChat(TelegramChat.PrivateWith(user));
        Fake.GarbleNextSuccess("sendMessage");

        var posted = await PostAsync(user.Id, "Your order ships today.");
        var stored = await Eventually.Get(async () => (await MessagesAsync(Api, ChatIdOf(user.Id))).SingleOrDefault(m => m.Id == posted.Id),
            m => m?.Status == MessageStatus.Sent, TimeSpan.FromSeconds(20), "the message marked sent");
        Assert.Contains("message id is unknown", stored!.Error, StringComparison.Ordinal);
        Assert.StartsWith("unknown:", stored.PlatformMessageId, StringComparison.Ordinal);
        // A chat delivers in order, one message at a time: once a later message is out, a retry of the first
        // (if one were queued) would have gone out before it.
        await PostAsync(user.Id, "marker");
        await Fake.WaitForSentMessageAsync(s => s.ChatId == user.Id && s.Text == "marker", cancellationToken: Ct);
        Assert.Equal(["Your order ships today.", "marker"], Fake.SentMessages.Where(s => s.ChatId == user.Id).Select(s => s.Text));
        Assert.Equal(2, Fake.CallsTo("sendMessage").Count(c => c.Parameters["chat_id"] == user.Id.ToString(CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task A_429_waits_retry_after_for_that_chat_only()
    {
        var (slow, fast) = (Fake.CreateUser("Galina"), Fake.CreateUser("Hugo"));
        Fake.AddChat(TelegramChat.PrivateWith(slow));
        Fake.AddChat(TelegramChat.PrivateWith(fast));
        Fake.FailNext("sendMessage", slow.Id, 429, retryAfter: 1);

        await PostAsync(slow.Id, "to the throttled chat");
        var first = await Fake.WaitForCallAsync("sendMessage", c => c.StatusCode == 429, cancellationToken: Ct);
        await PostAsync(fast.Id, "to another chat");

        var slowSent = await Fake.WaitForSentMessageAsync(s => s.ChatId == slow.Id, cancellationToken: Ct);
        var fastSent = await Fake.WaitForSentMessageAsync(s => s.ChatId == fast.Id, cancellationToken: Ct);
        Assert.True(slowSent.Timestamp - first.Timestamp >= TimeSpan.FromSeconds(1), $"retried after {slowSent.Timestamp - first.Timestamp}");
        Assert.True(fastSent.Timestamp < slowSent.Timestamp, "the other chat was held up by the 429");
        var stored = await WaitForMessageAsync(Api, ChatIdOf(slow.Id), slowSent.MessageId.ToString(CultureInfo.InvariantCulture), m => m.Status == MessageStatus.Sent);
        Assert.Equal("to the throttled chat", stored.Content);
        Assert.Equal(2, Fake.CallsTo("sendMessage").Count(c => c.Parameters["chat_id"] == slow.Id.ToString(CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task A_403_fails_the_message_with_the_reason_and_stops_retrying()
    {
        var user = Fake.CreateUser("Irina");
        Fake.AddChat(TelegramChat.PrivateWith(user));
        Fake.BlockChat(user.Id);

        var posted = await PostAsync(user.Id, "Are you still there?");
        var failed = await Eventually.Get(async () => (await MessagesAsync(Api, ChatIdOf(user.Id))).SingleOrDefault(m => m.Id == posted.Id),
            m => m?.Status == MessageStatus.Failed, what: "the message failed");
        Assert.Equal("Forbidden: bot was blocked by the user", failed!.Error);
        var chat = await Eventually.Get(() => ChatAsync(Api, ChatIdOf(user.Id)), c => c?.Error is not null, what: "the chat's error");
        Assert.Equal("Forbidden: bot was blocked by the user", chat!.Error);
        Assert.Single(Fake.CallsTo("sendMessage"), c => c.Parameters["chat_id"] == user.Id.ToString(CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_burst_to_many_chats_draws_no_429_with_flood_limits_on()
    {
        var users = Enumerable.Range(0, 40).Select(i => Fake.CreateUser($"Burst{i}")).ToList();
        foreach (var user in users)
        {
            Fake.AddChat(TelegramChat.PrivateWith(user));
        }
        var group = Fake.CreateGroup("Burst group");
        var before = Fake.TooManyRequestsCount;
        Fake.FloodLimitsEnabled = true;
        try
        {
            var started = DateTimeOffset.UtcNow;
            var posts = users.SelectMany(u => new[] { PostAsync(u.Id, $"first to {u.FirstName}"), PostAsync(u.Id, $"second to {u.FirstName}") })
                .Concat(Enumerable.Range(0, 3).Select(i => PostAsync(group.Id, $"group {i}")));
            await Task.WhenAll(posts);
            var sent = await Fake.WaitForSentMessagesAsync(Fake.SentMessages.Count(s => s.Timestamp < started) + 83, TimeSpan.FromSeconds(30), Ct);
            var elapsed = DateTimeOffset.UtcNow - started;

            Assert.Equal(before, Fake.TooManyRequestsCount);
            // 83 messages at 30/s cannot take less than ~2.7 s; a chat's second message comes a second after its first.
            Assert.True(elapsed >= TimeSpan.FromSeconds(2.5), $"took {elapsed}");
            foreach (var user in users)
            {
                var times = sent.Where(s => s.ChatId == user.Id).Select(s => s.Timestamp).Order().ToList();
                Assert.Equal(2, times.Count);
                Assert.True(times[1] - times[0] >= TimeSpan.FromSeconds(1));
            }
            TestContext.Current.SendDiagnosticMessage($"83 paced sends took {elapsed.TotalSeconds:0.00} s, 0 429s");
        }
        finally
        {
            Fake.FloodLimitsEnabled = false;
        }
    }

    [Fact]
    public async Task Typing_goes_out_as_a_chat_action()
    {
        var user = Fake.CreateUser("Jana");
        Fake.AddChat(TelegramChat.PrivateWith(user));
        var gateway = fixture.Service.App.Services.GetRequiredService<GatewayRegistry>().Find(Platforms.Telegram)!;

        await gateway.SendTypingAsync(new Chat
        {
            Id = ChatIdOf(user.Id),
            PlatformChatId = user.Id.ToString(CultureInfo.InvariantCulture),
            Source = Sources.Telegram,
            Platform = Platforms.Telegram,
        }, Ct);

        var action = await Fake.WaitForChatActionAsync(a => a.ChatId == user.Id, cancellationToken: Ct);
        Assert.Equal("typing", action.Action);
        Assert.Equal(4096, gateway.MaxTextLength);
    }

    [Fact]
    public async Task The_token_never_reaches_a_log()
    {
        var user = Fake.CreateUser("Kira");
        var update = Fake.EnqueueVoice(from: user);
        await WaitForMessageAsync(Api, ChatIdOf(user.Id), Id(update.MessageId), m => m.MediaFileId is not null);
        await PostAsync(user.Id, "logged?");
        await Fake.WaitForSentMessageAsync(s => s.ChatId == user.Id, cancellationToken: Ct);

        var secretPart = Fake.Token[(Fake.Token.IndexOf(':', StringComparison.Ordinal) + 1)..];
        Assert.NotEmpty(fixture.Service.Logs.Lines);
        Assert.DoesNotContain(fixture.Service.Logs.Lines, l => l.Contains(secretPart, StringComparison.Ordinal));
    }

    private async Task<ChatMessage> PostAsync(long platformChatId, string text)
    {
        using var response = await Api.PostAsJsonAsync(new Uri("/api/messages", UriKind.Relative),
            new { source = "telegram", platformChatId = platformChatId.ToString(CultureInfo.InvariantCulture), text, responseMode = "api" }, Ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ChatMessage>(Archive.ArchiveJson.Options, Ct))!;
    }

    private static long Offset(RecordedCall call) =>
        call.Parameters.TryGetValue("offset", out var raw) ? long.Parse(raw, CultureInfo.InvariantCulture) : 0;
}

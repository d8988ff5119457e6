using System.Text.Json;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Telegram;
using Telegram.Bot;
using Telegram.Bot.Types;

namespace MessengerAutoReply.Tests.Telegram;

/// <summary>The mapper alone, on updates as the Bot API sends them (JSON read by Telegram.Bot's own options).</summary>
public sealed class TelegramUpdateMapperTests
{
    private const string Private = """{"id":42,"first_name":"Ada","last_name":"Lovelace","username":"ada","type":"private"}""";
    private const string From = """{"id":42,"is_bot":false,"first_name":"Ada","last_name":"Lovelace","username":"ada"}""";

    private static Update Parse(string json) => JsonSerializer.Deserialize<Update>(json, JsonBotAPI.Options)!;

    private static Update Message(string fields, string chat = Private, string kind = "message") =>
        Parse("{\"update_id\":1,\"" + kind + "\":{\"message_id\":7,\"date\":1767225600,\"chat\":" + chat + ",\"from\":" + From + "," + fields + "}}");

    [Fact]
    public void A_private_text_becomes_an_incoming_text_message()
    {
        var (message, skipped) = TelegramUpdateMapper.Map(Message("\"text\":\"hello\""));
        Assert.Null(skipped);
        Assert.NotNull(message);
        Assert.Equal(Sources.Telegram, message.Chat.Source);
        Assert.Equal(Platforms.Telegram, message.Chat.Platform);
        Assert.Equal("42", message.Chat.PlatformChatId);
        Assert.Equal("Ada Lovelace", message.Chat.Name);
        Assert.False(message.Chat.IsGroup);
        Assert.Equal("7", message.PlatformMessageId);
        Assert.Equal(MessageTypes.Text, message.Type);
        Assert.Equal("hello", message.Content);
        Assert.Equal("42", message.SenderId);
        Assert.Equal("Ada Lovelace", message.SenderName);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1767225600), message.Timestamp);
        Assert.Equal(TimeSpan.Zero, message.Timestamp.Offset);
        Assert.False(message.IsEdit);
    }

    [Fact]
    public void An_edited_message_is_marked_as_an_edit()
    {
        var (message, _) = TelegramUpdateMapper.Map(Message("\"text\":\"hello again\"", kind: "edited_message"));
        Assert.True(message!.IsEdit);
        Assert.Equal("hello again", message.Content);
    }

    [Fact]
    public void The_largest_photo_size_is_kept_with_its_caption()
    {
        var (message, _) = TelegramUpdateMapper.Map(Message("""
            "caption":"my order","photo":[
              {"file_id":"small","file_unique_id":"us","width":90,"height":60,"file_size":1000},
              {"file_id":"large","file_unique_id":"ul","width":1280,"height":853,"file_size":90000},
              {"file_id":"mid","file_unique_id":"um","width":320,"height":213,"file_size":9000}]
            """));
        Assert.Equal(MessageTypes.Image, message!.Type);
        Assert.Equal("my order", message.Content);
        Assert.Equal("large", message.Media!.PlatformFileId);
        Assert.Equal("ul", message.Media.UniqueId);
        Assert.Equal("image/jpeg", message.MimeType);
        Assert.Equal(90000, message.Media.Size);
    }

    [Fact]
    public void A_voice_note_is_a_voice_message_with_its_file()
    {
        var (message, _) = TelegramUpdateMapper.Map(Message("""
            "voice":{"file_id":"v1","file_unique_id":"uv1","duration":3,"mime_type":"audio/ogg","file_size":4321}
            """));
        Assert.Equal(MessageTypes.Voice, message!.Type);
        Assert.Null(message.Content);
        Assert.Equal("v1", message.Media!.PlatformFileId);
        Assert.Equal("audio/ogg", message.MimeType);
    }

    [Fact]
    public void A_document_keeps_its_file_name_and_type()
    {
        var (message, _) = TelegramUpdateMapper.Map(Message("""
            "document":{"file_id":"d1","file_unique_id":"ud1","file_name":"invoice.pdf","mime_type":"application/pdf","file_size":100}
            """));
        Assert.Equal(MessageTypes.Document, message!.Type);
        Assert.Equal("invoice.pdf", message.FileName);
        Assert.Equal("application/pdf", message.MimeType);
    }

    [Fact]
    public void A_location_is_readable_text()
    {
        var (message, _) = TelegramUpdateMapper.Map(Message("\"location\":{\"latitude\":52.52,\"longitude\":13.405}"));
        Assert.Equal(MessageTypes.Location, message!.Type);
        Assert.Equal("Location: 52.52, 13.405", message.Content);
        Assert.Null(message.Media);
    }

    [Fact]
    public void A_group_message_names_the_group_and_its_sender()
    {
        var (message, _) = TelegramUpdateMapper.Map(Message("\"text\":\"hi all\"", chat: """{"id":-1001,"title":"Shop friends","type":"supergroup"}"""));
        Assert.True(message!.Chat.IsGroup);
        Assert.Equal("-1001", message.Chat.PlatformChatId);
        Assert.Equal("Shop friends", message.Chat.Name);
        Assert.Equal("42", message.SenderId);
    }

    [Fact]
    public void Channel_posts_and_service_messages_are_skipped_with_a_reason()
    {
        var (channel, why) = TelegramUpdateMapper.Map(Message("\"text\":\"news\"", chat: """{"id":-1002,"title":"News","type":"channel"}"""));
        Assert.Null(channel);
        Assert.Contains("Channel", why, StringComparison.OrdinalIgnoreCase);

        var (pinned, whyPinned) = TelegramUpdateMapper.Map(Message("\"pinned_message\":{\"message_id\":3,\"date\":1767225600,\"chat\":" + Private + ",\"text\":\"x\"}"));
        Assert.Null(pinned);
        Assert.Contains("PinnedMessage", whyPinned, StringComparison.Ordinal);

        var (none, whyNone) = TelegramUpdateMapper.Map(Parse("""{"update_id":2,"my_chat_member":{"chat":{"id":42,"type":"private","first_name":"Ada"},"from":{"id":42,"is_bot":false,"first_name":"Ada"},"date":1767225600,"old_chat_member":{"status":"member","user":{"id":1,"is_bot":true,"first_name":"Bot"}},"new_chat_member":{"status":"kicked","until_date":0,"user":{"id":1,"is_bot":true,"first_name":"Bot"}}}}"""));
        Assert.Null(none);
        Assert.Contains("MyChatMember", whyNone, StringComparison.Ordinal);
    }

    [Fact]
    public void A_kind_the_mapper_does_not_know_is_still_stored()
    {
        var (message, skipped) = TelegramUpdateMapper.Map(Message("\"game\":{\"title\":\"Chess\",\"description\":\"a game\",\"photo\":[]}"));
        Assert.Null(skipped);
        Assert.Equal("game", message!.Type);
        Assert.Equal("[game]", message.Content);
    }

    [Fact]
    public void A_sender_without_a_name_falls_back_to_the_username()
    {
        var update = Parse("""{"update_id":1,"message":{"message_id":7,"date":1767225600,"chat":{"id":5,"type":"private","first_name":" ","username":"nobody"},"from":{"id":5,"is_bot":false,"first_name":" ","username":"nobody"},"text":"x"}}""");
        var (message, _) = TelegramUpdateMapper.Map(update);
        Assert.Equal("nobody", message!.Chat.Name);
        Assert.Equal("nobody", message.SenderName);
    }
}

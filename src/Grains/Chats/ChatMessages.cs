using MessengerAutoReply.Delivery;

namespace MessengerAutoReply.Chats;

/// <summary>How stored messages are made from what arrives and from replies.</summary>
public static class ChatMessages
{
    public static ChatMessage Incoming(Chat chat, string id, InboundMessage message, DateTimeOffset now) => new()
    {
        Id = id,
        PlatformMessageId = message.PlatformMessageId,
        Source = chat.Source,
        Platform = chat.Platform,
        ChatId = chat.Id,
        Type = message.Type,
        Content = message.Content,
        MediaFileId = message.MediaFileId,
        FileName = message.FileName,
        MimeType = message.MimeType,
        IsIncoming = !message.FromAgent,
        Timestamp = message.Timestamp == default ? now : message.Timestamp,
        SenderId = message.SenderId,
        SenderName = message.SenderName,
        ResponseMode = message.FromAgent ? (message.Automated ? ResponseModes.Api : ResponseModes.Operator) : null,
        Status = message.FromAgent ? MessageStatus.Sent : MessageStatus.Received,
    };

    /// <summary>One message per part of at most <paramref name="maxLength"/> characters, ids from the delivery key.</summary>
    public static List<ChatMessage> Outgoing(Chat chat, string chatId, string text, int maxLength, string deliveryKey, string responseMode, string? senderName, DateTimeOffset now, bool deliver)
    {
        var parts = TextSplitter.Split(text, maxLength);
        var messages = new List<ChatMessage>(parts.Count);
        for (var i = 0; i < parts.Count; i++)
        {
            var key = i == 0 ? deliveryKey : $"{deliveryKey}#{i}";
            messages.Add(new ChatMessage
            {
                Id = ChatIds.ForOutgoing(chatId, deliveryKey, i),
                PlatformMessageId = $"pending:{key}",
                Source = chat.Source,
                Platform = chat.Platform,
                ChatId = chat.Id,
                Type = MessageTypes.Text,
                Content = parts[i],
                IsIncoming = false,
                // Parts keep their order even when the clock does not move between them.
                Timestamp = now.AddTicks(i),
                SenderId = responseMode,
                SenderName = senderName,
                ResponseMode = responseMode,
                Status = deliver ? MessageStatus.Pending : MessageStatus.Discarded,
            });
        }
        return messages;
    }

    /// <summary>The chat list's one-line preview of a message.</summary>
    public static string? Preview(ChatMessage message)
    {
        var text = message.Content ?? message.FileName ?? $"[{message.Type}]";
        return text.Length <= 120 ? text : string.Concat(text.AsSpan(0, 119), "…");
    }
}

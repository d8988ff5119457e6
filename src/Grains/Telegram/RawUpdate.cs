using Telegram.Bot.Types;

namespace MessengerAutoReply.Telegram;

/// <summary>One update of a getUpdates answer: its id and raw JSON always, the SDK's reading of it or why it has none.</summary>
public sealed record RawUpdate(int Id, string Json, Update? Update, Exception? ReadError);

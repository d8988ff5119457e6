namespace MessengerAutoReply.Operators;

/// <summary>Another saved reply has this short code.</summary>
public sealed class ShortCodeTakenException(string shortCode) : Exception($"A saved reply with the short code {shortCode} exists already.")
{
    public string ShortCode { get; } = shortCode;
}

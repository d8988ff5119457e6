namespace MessengerAutoReply.Security;

/// <summary>The outbound policy refused a target: permanent, never retried.</summary>
public sealed class OutboundRefusedException(string message) : Exception(message);

namespace MessengerAutoReply.Operators;

/// <summary>Another operator already has this address (the stores keep addresses unique).</summary>
public sealed class OperatorEmailTakenException(string email) : Exception($"An operator with the address {email} exists already.")
{
    public string Email { get; } = email;
}

namespace MessengerAutoReply.Operators;

/// <summary>An operator as the API shows it: everything but the password hash and the security stamp.</summary>
public sealed record OperatorInfo(string Id, string Email, string Name, string Role, bool Disabled, DateTimeOffset Created, DateTimeOffset Updated);

namespace MessengerAutoReply.Operators;

/// <summary>The two roles of issue #17: admins manage operators and read the audit log; agents work the chats.</summary>
public static class OperatorRoles
{
    public const string Admin = "admin";
    public const string Agent = "agent";

    public static bool IsValid(string? role) => role is Admin or Agent;
}

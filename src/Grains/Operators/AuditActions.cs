namespace MessengerAutoReply.Operators;

/// <summary>The actions the audit log records (the <c>action</c> filter of <c>GET /api/audit</c>).</summary>
public static class AuditActions
{
    public const string SignIn = "auth.signin";
    public const string SignOut = "auth.signout";
    public const string PasswordChanged = "auth.password";
    public const string OperatorCreated = "operator.created";
    public const string OperatorUpdated = "operator.updated";
    public const string OperatorDeleted = "operator.deleted";
    public const string MessageSent = "message.sent";
    public const string AutoModeSwitched = "chat.autoMode";
    public const string CannedResponseCreated = "cannedResponse.created";
    public const string CannedResponseUpdated = "cannedResponse.updated";
    public const string CannedResponseDeleted = "cannedResponse.deleted";
}

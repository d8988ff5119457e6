namespace MessengerAutoReply.Tests.Ai;

/// <summary>OPERATOR_TAKEOVER=false: an operator's message does not switch the chat's autoMode off.</summary>
public sealed class TakeoverOffFixture : AutoReplyFixture
{
    protected override Dictionary<string, string?> Settings() => new() { ["OPERATOR_TAKEOVER"] = "false" };
}

namespace MessengerAutoReply.Tests.Ai;

/// <summary>AUTO_REPLY_IN_GROUPS=true: Telegram groups are answered like private chats.</summary>
public sealed class GroupRepliesFixture : AutoReplyFixture
{
    protected override Dictionary<string, string?> Settings() => new() { ["AUTO_REPLY_IN_GROUPS"] = "true" };
}

using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.Ai;

public sealed class GroupRepliesTests(GroupRepliesFixture fixture) : IClassFixture<GroupRepliesFixture>
{
    [Fact]
    public async Task A_group_message_is_answered_in_the_group()
    {
        var group = AutoReplyFixture.NewChat(group: true);
        await fixture.Say(group, "hello group, do you deliver?");
        await Eventually.True(() => fixture.RepliesTo(group).Count == 1, what: "the group's answer");
        Assert.Contains("deliver", fixture.RepliesTo(group)[0].Content);
    }
}

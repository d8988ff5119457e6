using System.Net;
using System.Net.Http.Json;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.Ai;

public sealed class ResumeAfterFixture : AutoReplyFixture
{
    protected override Dictionary<string, string?> Settings() => new()
    {
        ["AUTO_MODE_RESUME_AFTER"] = "2h",
        // The chats' clock is frozen here: a quiet period would never end.
        ["REPLY_DEBOUNCE_MS"] = "0",
    };
}

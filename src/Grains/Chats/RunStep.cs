namespace MessengerAutoReply.Chats;

/// <summary>What <see cref="ReplyPolicy.NextRun"/> decided.</summary>
public enum RunStep
{
    /// <summary>Nothing to answer, or the AI does not answer this chat.</summary>
    None,

    /// <summary>The debounce has not passed yet.</summary>
    Wait,

    /// <summary>A file the run needs (voice, image) is still being fetched and understood.</summary>
    WaitForMedia,

    /// <summary>Start a run now.</summary>
    Start,
}

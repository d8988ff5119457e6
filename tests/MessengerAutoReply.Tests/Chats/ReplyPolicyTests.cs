using MessengerAutoReply.Ai;
using MessengerAutoReply.Chats;
using Microsoft.Extensions.Time.Testing;

namespace MessengerAutoReply.Tests.Chats;

/// <summary>Who answers and when: debounce, takeover, hand-back, groups (pure, on a fake clock).</summary>
public sealed class ReplyPolicyTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly ChatState _state = new();

    private static AiOptions Ai(TimeSpan? resumeAfter = null, bool groups = false) =>
        new() { ApiKey = "k", Debounce = TimeSpan.FromSeconds(2), AutoModeResumeAfter = resumeAfter, ReplyInGroups = groups };

    private ChatBook Book(AiOptions? ai = null, bool engine = true, bool takeover = true) =>
        new("chat1", _state, new ChatOptions { OperatorTakeover = takeover }, new ReplyPolicy(ai ?? Ai(), engine, takeover), _ => 4096);

    [Fact]
    public void A_run_starts_only_after_the_quiet_period_of_the_last_message()
    {
        var book = Book();
        book.Receive(ChatTestData.Customer("1", "hi"), _time.GetUtcNow());
        _time.Advance(TimeSpan.FromSeconds(1.5));
        book.Receive(ChatTestData.Customer("2", "are you there?"), _time.GetUtcNow());

        _time.Advance(TimeSpan.FromSeconds(1.9));
        Assert.Equal(RunStep.Wait, book.Replies.NextRun(_state, _time.GetUtcNow(), book.RunDueAt));
        _time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal(RunStep.Start, book.Replies.NextRun(_state, _time.GetUtcNow(), book.RunDueAt));

        var (run, _) = book.StartRun(_time.GetUtcNow());
        Assert.Equal(["hi", "are you there?"], run.Inputs);
        Assert.Empty(_state.AwaitingAnswer);
        Assert.True(_state.Chat!.AiRunning);
    }

    [Fact]
    public void A_voice_message_is_understood_before_the_run_that_answers_it()
    {
        var book = Book();
        book.Receive(ChatTestData.Customer("1", "") with
        {
            Type = MessageTypes.Voice,
            Media = new MessengerAutoReply.Media.MediaRef { Platform = Platforms.Telegram, PlatformFileId = "f" },
        }, _time.GetUtcNow());
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(RunStep.WaitForMedia, book.Replies.NextRun(_state, _time.GetUtcNow(), book.RunDueAt));
    }

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(true, false, true)]
    [InlineData(true, true, false)]
    public void The_ai_answers_only_with_an_engine_and_autoMode_on(bool engine, bool autoModeOff, bool answers)
    {
        var book = Book(engine: engine);
        book.Receive(ChatTestData.Customer("0", "first"), _time.GetUtcNow());
        if (autoModeOff)
        {
            book.SetAutoMode(false, _time.GetUtcNow());
        }
        book.Receive(ChatTestData.Customer("1", "hi"), _time.GetUtcNow());
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(answers ? RunStep.Start : RunStep.None, book.Replies.NextRun(_state, _time.GetUtcNow(), book.RunDueAt));
    }

    [Theory]
    [InlineData(false, RunStep.None)]
    [InlineData(true, RunStep.Start)]
    public void Groups_are_answered_only_with_AUTO_REPLY_IN_GROUPS(bool groups, RunStep expected)
    {
        var book = Book(Ai(groups: groups));
        book.Receive(ChatTestData.Customer("1", "hi") with { Chat = ChatTestData.Address with { IsGroup = true } }, _time.GetUtcNow());
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(expected, book.Replies.NextRun(_state, _time.GetUtcNow(), book.RunDueAt));
    }

    [Fact]
    public void An_operator_reply_takes_the_chat_over_and_the_hand_back_comes_after_AUTO_MODE_RESUME_AFTER()
    {
        var book = Book(Ai(resumeAfter: TimeSpan.FromMinutes(10)));
        book.Receive(ChatTestData.Customer("1", "hi"), _time.GetUtcNow());
        book.Send(new OutboundRequest { Text = "a person here", DeliveryKey = "op1" }, _time.GetUtcNow());
        Assert.False(_state.Chat!.AutoMode);
        Assert.Empty(_state.AwaitingAnswer);
        book.Receive(ChatTestData.Customer("2", "thanks, one more thing"), _time.GetUtcNow());
        Assert.Equal(RunStep.None, book.Replies.NextRun(_state, _time.GetUtcNow(), book.RunDueAt));

        _time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(1));
        Assert.Null(book.HandBack(_time.GetUtcNow()));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.NotNull(book.HandBack(_time.GetUtcNow()));

        // The customer spoke last: handed back, the AI answers that message at once.
        Assert.True(_state.Chat!.AutoMode);
        Assert.Equal([ChatIds.ForIncoming("chat1", "2")], _state.AwaitingAnswer);
        Assert.Equal(RunStep.Start, book.Replies.NextRun(_state, _time.GetUtcNow(), book.RunDueAt));
    }

    [Fact]
    public void Without_OPERATOR_TAKEOVER_an_operator_reply_leaves_autoMode_alone()
    {
        var book = Book(takeover: false);
        book.Receive(ChatTestData.Customer("1", "hi"), _time.GetUtcNow());
        book.Send(new OutboundRequest { Text = "noted", DeliveryKey = "op1" }, _time.GetUtcNow());
        Assert.True(_state.Chat!.AutoMode);
        Assert.Null(_state.TakenOverAt);
    }

    [Fact]
    public void Switched_on_by_hand_a_waiting_customer_is_answered_and_no_hand_back_timer_remains()
    {
        var book = Book(Ai(resumeAfter: TimeSpan.FromMinutes(10)));
        book.Receive(ChatTestData.Operator("o1", "written in the platform's inbox"), _time.GetUtcNow());
        Assert.NotNull(_state.TakenOverAt);
        book.Receive(ChatTestData.Customer("1", "hello?"), _time.GetUtcNow());

        book.SetAutoMode(true, _time.GetUtcNow());
        Assert.Null(_state.TakenOverAt);
        Assert.Null(book.Replies.HandBackAt(_state));
        Assert.Equal(RunStep.Start, book.Replies.NextRun(_state, _time.GetUtcNow(), book.RunDueAt));
    }

    [Fact]
    public void A_failed_run_is_retried_with_the_next_customer_message_not_before()
    {
        var book = Book();
        book.Receive(ChatTestData.Customer("1", "hi"), _time.GetUtcNow());
        _time.Advance(TimeSpan.FromSeconds(3));
        var (run, _) = book.StartRun(_time.GetUtcNow());
        book.RunCompleted(run.RunId, ReplyOutcome.Failure("model down"), _time.GetUtcNow());
        Assert.Equal(MessageStatus.Unanswered, book.Memory.Find(ChatIds.ForIncoming("chat1", "1"))!.Status);
        Assert.Equal(RunStep.None, book.Replies.NextRun(_state, _time.GetUtcNow() + TimeSpan.FromHours(1), book.RunDueAt));

        book.Receive(ChatTestData.Customer("2", "hello?"), _time.GetUtcNow());
        Assert.Equal([ChatIds.ForIncoming("chat1", "1"), ChatIds.ForIncoming("chat1", "2")], _state.AwaitingAnswer);
    }
}

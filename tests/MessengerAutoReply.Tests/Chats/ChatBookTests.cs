using MessengerAutoReply.Ai;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Delivery;
using Microsoft.Extensions.Time.Testing;

namespace MessengerAutoReply.Tests.Chats;

/// <summary>A chat's decisions without Orleans: dedup, edits, replies, send results, runs (on a fake clock).</summary>
public sealed class ChatBookTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly ChatState _state = new();
    private readonly ChatOptions _options = new()
    {
        RecentMessages = 5,
        DedupWindow = 20,
        DeliveryMaxAttempts = 3,
        RetryBackoffMin = TimeSpan.FromSeconds(1),
        RetryBackoffMax = TimeSpan.FromSeconds(30),
    };

    private ChatBook Book(int maxLength = 4096) =>
        new("chat1", _state, _options, new ReplyPolicy(new AiOptions { ApiKey = "k" }, engineEnabled: true, operatorTakeover: true), _ => maxLength);

    private DateTimeOffset Now => _time.GetUtcNow();

    [Fact]
    public void The_same_platform_message_twice_is_stored_once()
    {
        var book = Book();
        var (first, events) = book.Receive(ChatTestData.Customer("7", "hello"), Now);
        var (second, again) = book.Receive(ChatTestData.Customer("7", "hello"), Now);

        Assert.Equal(ReceiveOutcome.Accepted, first.Outcome);
        Assert.Equal(2, events.Count);
        Assert.Equal(ReceiveOutcome.Duplicate, second.Outcome);
        Assert.Empty(again);
        Assert.Single(_state.Recent);
    }

    [Fact]
    public void Dedup_outlives_the_full_message_window_up_to_its_own_size()
    {
        var book = Book();
        for (var i = 0; i < 20; i++)
        {
            book.Receive(ChatTestData.Customer($"{i}", $"m{i}"), Now);
        }
        Assert.Equal(5, _state.Recent.Count);
        Assert.Equal(ReceiveOutcome.Duplicate, book.Receive(ChatTestData.Customer("0", "m0"), Now).Result.Outcome);
        book.Receive(ChatTestData.Customer("20", "m20"), Now);
        Assert.Equal(20, _state.SeenMessageIds.Count);
        Assert.False(book.Memory.HasSeen(ChatIds.ForIncoming("chat1", "0")));
    }

    [Fact]
    public void An_edit_of_a_message_older_than_the_window_is_applied_and_archived_not_answered()
    {
        var book = Book();
        var start = Now;
        for (var i = 0; i < 10; i++)
        {
            book.Receive(ChatTestData.Customer($"{i}", $"m{i}", start.AddSeconds(i)), Now);
        }
        _state.AwaitingAnswer.Clear();
        var outbox = _state.ArchiveOutbox.Count;

        var (result, events) = book.Receive(ChatTestData.Customer("1", "m1, corrected", start.AddSeconds(1)) with { IsEdit = true }, Now);

        Assert.Equal(ReceiveOutcome.Updated, result.Outcome);
        Assert.Equal("m1, corrected", result.Message!.Content);
        Assert.Equal("m1, corrected", Assert.Single(events).Message!.Content);
        Assert.Equal("m1, corrected", _state.ArchiveOutbox.Skip(outbox).Single().Message!.Content);
        Assert.Empty(_state.AwaitingAnswer);
        Assert.Equal(["m5", "m6", "m7", "m8", "m9"], _state.Recent.Select(m => m.Content));
    }

    [Fact]
    public void An_edit_of_a_message_never_seen_is_stored_as_updated_and_not_answered()
    {
        var book = Book();
        var (result, _) = book.Receive(ChatTestData.Customer("99", "edited text") with { IsEdit = true }, Now);
        Assert.Equal(ReceiveOutcome.Updated, result.Outcome);
        Assert.Empty(_state.AwaitingAnswer);
        Assert.True(book.Memory.HasSeen(result.Message!.Id));
    }

    [Fact]
    public void A_long_reply_is_split_and_its_delivery_key_finds_every_part()
    {
        var book = Book(maxLength: 20);
        book.Receive(ChatTestData.Customer("1", "hi"), Now);
        var (messages, _) = book.Send(new OutboundRequest { Text = "0123456789 abcdefghij klmno", DeliveryKey = "k1" }, Now);

        Assert.Equal(2, messages.Count);
        Assert.All(messages, m => Assert.Equal(MessageStatus.Pending, m.Status));
        Assert.Equal(messages.Select(m => m.Id), _state.Outbox.Select(p => p.MessageId));
        Assert.Equal(messages.Select(m => m.Id), book.Known("k1")!.Select(m => m.Id));
        Assert.Null(book.Known("k2"));
    }

    [Fact]
    public void A_send_is_retried_with_backoff_then_failed_for_good_and_the_chat_says_why()
    {
        var book = Book();
        book.Receive(ChatTestData.Customer("1", "hi"), Now);
        var id = book.Send(new OutboundRequest { Text = "answer", DeliveryKey = "k1" }, Now).Messages[0].Id;

        book.Delivered(id, DeliveryResult.Transient("timeout"), Now);
        Assert.Equal(Now + TimeSpan.FromSeconds(1), _state.Outbox[0].NotBefore);
        book.Delivered(id, DeliveryResult.Transient("timeout"), Now);
        Assert.Equal(Now + TimeSpan.FromSeconds(2), _state.Outbox[0].NotBefore);
        var events = book.Delivered(id, DeliveryResult.Transient("timeout"), Now);

        Assert.Empty(_state.Outbox);
        Assert.Equal(MessageStatus.Failed, events[0].Message!.Status);
        Assert.Equal("timeout", _state.Chat!.Error);
    }

    [Fact]
    public void A_rate_budget_deferral_waits_for_the_reset_without_using_up_an_attempt()
    {
        var book = Book();
        book.Receive(ChatTestData.Customer("1", "hi"), Now);
        var id = book.Send(new OutboundRequest { Text = "answer", DeliveryKey = "k1" }, Now).Messages[0].Id;
        for (var i = 0; i < 5; i++)
        {
            book.Delivered(id, DeliveryResult.Deferred("budget", TimeSpan.FromSeconds(7)), Now);
        }
        Assert.Equal(0, _state.Outbox[0].Attempts);
        Assert.Equal(Now + TimeSpan.FromSeconds(7), _state.Outbox[0].NotBefore);

        Assert.Equal(Now, _state.LastSentAt);
        _time.Advance(TimeSpan.FromSeconds(7));
        var sent = book.Delivered(id, DeliveryResult.Success("555"), Now);
        // The per-chat limit counts from here on whichever silo the chat is next (decision 10).
        Assert.Equal(Now, _state.LastSentAt);
        Assert.Equal("555", sent[0].Message!.PlatformMessageId);
        Assert.Equal(MessageStatus.Sent, sent[0].Message!.Status);
        Assert.Empty(_state.Outbox);
    }

    [Fact]
    public void A_repeated_send_report_changes_nothing()
    {
        var book = Book();
        book.Receive(ChatTestData.Customer("1", "hi"), Now);
        var id = book.Send(new OutboundRequest { Text = "answer", DeliveryKey = "k1" }, Now).Messages[0].Id;
        Assert.NotEmpty(book.Delivered(id, DeliveryResult.Success("555"), Now));
        Assert.Empty(book.Delivered(id, DeliveryResult.Success("555"), Now));
    }

    [Fact]
    public void A_run_answer_is_queued_once_and_an_operator_during_the_run_keeps_it_for_the_record_only()
    {
        var book = Book();
        book.Receive(ChatTestData.Customer("1", "hi"), Now);
        var (run, _) = book.StartRun(Now);
        book.Send(new OutboundRequest { Text = "a person here", DeliveryKey = "op" }, Now);

        book.RunCompleted(run.RunId, new ReplyOutcome { Text = "AI says hi", ConversationId = "conv_1" }, Now);
        Assert.Null(book.RunCompleted(run.RunId, new ReplyOutcome { Text = "AI says hi" }, Now));

        var ai = _state.Recent.Single(m => m.ResponseMode == ResponseModes.Ai);
        Assert.Equal(MessageStatus.Discarded, ai.Status);
        Assert.DoesNotContain(_state.Outbox, p => p.MessageId == ai.Id);
        Assert.Equal("conv_1", _state.Chat!.OpenAIThreadId);
        Assert.False(_state.Chat.AiRunning);
    }

    [Fact]
    public void A_new_conversation_is_kept_for_the_current_run_only()
    {
        var book = Book();
        book.Receive(ChatTestData.Customer("1", "hi"), Now);
        var (run, _) = book.StartRun(Now);
        Assert.Null(book.ConversationStarted("another-run", "conv_x"));
        Assert.NotNull(book.ConversationStarted(run.RunId, "conv_1"));
        Assert.Equal("conv_1", _state.Chat!.OpenAIThreadId);
        Assert.Null(book.ConversationStarted(run.RunId, "conv_1"));
    }
}

using MessengerAutoReply.ApiHost.Api;
using MessengerAutoReply.Archive;
using MessengerAutoReply.Chats;

namespace MessengerAutoReply.Tests.Api;

/// <summary>An archive page merged with the messages grain state holds and the archive does not have yet.</summary>
public sealed class HistoryMergeTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static ChatMessage M(string id, int second, string status = MessageStatus.Received, string? content = null) => new()
    {
        Id = id,
        PlatformMessageId = id,
        Source = Sources.Telegram,
        Platform = Platforms.Telegram,
        ChatId = "chat",
        Timestamp = T0.AddSeconds(second),
        Status = status,
        Content = content ?? id,
    };

    private static Paged<ChatMessage> Page(int page, int perPage, int total, params ChatMessage[] items) => Paged.Of(page, perPage, total, items);

    [Fact]
    public void Nothing_unarchived_leaves_the_page_as_it_is()
    {
        var page = Page(1, 50, 1, M("a", 1));
        Assert.Same(page, HistoryMerge.WithUnarchived(page, [], newestFirst: false));
    }

    [Fact]
    public void A_newer_version_replaces_the_archived_one_in_place()
    {
        var page = Page(1, 50, 2, M("a", 1, MessageStatus.Pending), M("b", 2));
        var merged = HistoryMerge.WithUnarchived(page, [M("a", 1, MessageStatus.Sent)], newestFirst: false);
        Assert.Equal(["a", "b"], merged.Items.Select(m => m.Id));
        Assert.Equal(MessageStatus.Sent, merged.Items[0].Status);
        Assert.Equal(2, merged.TotalItems);
    }

    [Fact]
    public void Missing_messages_join_the_last_page_oldest_first()
    {
        var page = Page(1, 50, 2, M("a", 1), M("b", 2));
        var merged = HistoryMerge.WithUnarchived(page, [M("c", 3)], newestFirst: false);
        Assert.Equal(["a", "b", "c"], merged.Items.Select(m => m.Id));
        Assert.Equal(3, merged.TotalItems);
        Assert.Equal(1, merged.TotalPages);
    }

    [Fact]
    public void Missing_messages_join_the_first_page_newest_first()
    {
        var page = Page(1, 50, 2, M("b", 2), M("a", 1));
        var merged = HistoryMerge.WithUnarchived(page, [M("c", 3)], newestFirst: true);
        Assert.Equal(["c", "b", "a"], merged.Items.Select(m => m.Id));
    }

    [Fact]
    public void Pages_away_from_the_live_edge_get_no_new_messages_but_count_them_not()
    {
        // Oldest first, page 1 of 2: the unarchived message belongs to the last page.
        var page = Page(1, 2, 3, M("a", 1), M("b", 2));
        var merged = HistoryMerge.WithUnarchived(page, [M("z", 9)], newestFirst: false);
        Assert.Equal(["a", "b"], merged.Items.Select(m => m.Id));
        Assert.Equal(3, merged.TotalItems);
    }

    [Fact]
    public void An_unarchived_update_of_an_older_message_is_not_added_to_a_newer_page()
    {
        var page = Page(2, 2, 4, M("c", 3), M("d", 4));
        var merged = HistoryMerge.WithUnarchived(page, [M("a", 1, MessageStatus.Sent)], newestFirst: false);
        Assert.Equal(["c", "d"], merged.Items.Select(m => m.Id));
        Assert.Equal(4, merged.TotalItems);
    }

    [Fact]
    public void Same_timestamp_messages_of_one_batch_are_not_dropped()
    {
        var page = Page(1, 50, 1, M("a", 5));
        var merged = HistoryMerge.WithUnarchived(page, [M("b", 5), M("c", 5)], newestFirst: false);
        Assert.Equal(3, merged.Items.Count);
        Assert.Equal(["a", "b", "c"], merged.Items.Select(m => m.Id).Order());
    }

    [Fact]
    public void A_page_never_holds_more_than_per_page()
    {
        var page = Page(1, 2, 2, M("a", 1), M("b", 2));
        var merged = HistoryMerge.WithUnarchived(page, [M("c", 3), M("d", 4)], newestFirst: true);
        Assert.Equal(["d", "c"], merged.Items.Select(m => m.Id));
        Assert.Equal(4, merged.TotalItems);
        Assert.Equal(2, merged.TotalPages);
    }

    [Fact]
    public void An_empty_archive_page_shows_what_grain_state_has()
    {
        var merged = HistoryMerge.WithUnarchived(Page(1, 50, 0), [M("b", 2), M("a", 1)], newestFirst: false);
        Assert.Equal(["a", "b"], merged.Items.Select(m => m.Id));
        Assert.Equal(2, merged.TotalItems);
        Assert.Equal(1, merged.TotalPages);
    }
}

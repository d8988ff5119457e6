using System.Globalization;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Fakes.Telegram;
using MessengerAutoReply.Telegram;
using MessengerAutoReply.Tests.Infrastructure;
using MessengerAutoReply.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using static MessengerAutoReply.Tests.Telegram.TelegramTestKit;

namespace MessengerAutoReply.Tests.Faults;

/// <summary>Issue #13's poller windows: poison updates, transient failures, update_id jumps, empty answers, 404 and 409.</summary>
/// <remarks>
/// The tests share one fake and one receiver, so each starts on a drained queue and heals its faults when it ends,
/// pass or fail: an update a failed test left refused would otherwise hold the offset for every test after it.
/// </remarks>
public sealed class TelegramReceiverWindowTests(TelegramReceiverFixture fixture) : IClassFixture<TelegramReceiverFixture>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private FakeTelegramServer Fake => fixture.Fake;

    private HttpClient Api => fixture.Service.Client;

    private static string Id(int? messageId) => messageId!.Value.ToString(CultureInfo.InvariantCulture);

    private Task<IReadOnlyList<ParkedUpdate>> ParkedAsync() =>
        fixture.Service.Grains.GetGrain<ITelegramParkedUpdatesGrain>(ITelegramParkedUpdatesGrain.Key).ListAsync();

    private int LinesWith(string text) => fixture.Service.Logs.Lines.Count(l => l.Contains(text, StringComparison.Ordinal));

    public async ValueTask InitializeAsync() => await Fake.WaitForNoPendingUpdatesAsync(cancellationToken: Ct);

    public ValueTask DisposeAsync()
    {
        fixture.Faults.HealAll();
        Fake.IgnoreLongPollTimeout = false;
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task An_update_its_chat_keeps_refusing_is_parked_after_the_set_attempts_and_nothing_behind_it_waits()
    {
        var (poisoned, other) = (Fake.CreateUser("Poisoned"), Fake.CreateUser("Bystander"));
        var parkedBefore = fixture.Metrics.Parked;
        fixture.Faults.Fail("refused for good", () => new ArgumentException("a shape the chat cannot take (injected)"));

        var poison = Fake.EnqueueText("refused for good", from: poisoned);
        var after = Fake.EnqueueText("after the poison", from: poisoned);
        var bystander = Fake.EnqueueText("another chat", from: other);

        await WaitForMessageAsync(Api, ChatIdOf(poisoned.Id), Id(after.MessageId), timeout: TimeSpan.FromSeconds(30));
        await WaitForMessageAsync(Api, ChatIdOf(other.Id), Id(bystander.MessageId));
        await Fake.WaitForNoPendingUpdatesAsync(cancellationToken: Ct);

        var parked = Assert.Single(await ParkedAsync(), p => p.UpdateId == poison.UpdateId);
        Assert.Equal("refused", parked.Reason);
        // At least the set attempts, more when the server's answers held the bystander back (a retry within 0.5 s
        // gets one update): parking waits until another update has gone through.
        Assert.InRange(parked.Attempts, TelegramReceiverFixture.ParkAfter, 20);
        Assert.Equal(parked.Attempts, fixture.Faults.Attempts("refused for good"));
        Assert.Contains("ArgumentException", parked.Error, StringComparison.Ordinal);
        Assert.Contains("\"refused for good\"", parked.Json, StringComparison.Ordinal);
        Assert.Contains($"\"update_id\":{poison.UpdateId}", parked.Json, StringComparison.Ordinal);
        Assert.Equal(parkedBefore + 1, fixture.Metrics.Parked);
        Assert.Equal(1, LinesWith($"update {poison.UpdateId} parked"));
        Assert.DoesNotContain(await MessagesAsync(Api, ChatIdOf(poisoned.Id)), m => m.Content == "refused for good");
    }

    [Fact]
    public async Task When_every_update_is_refused_none_is_parked_and_the_offset_holds()
    {
        var (first, second) = (Fake.CreateUser("Everyone1"), Fake.CreateUser("Everyone2"));
        var parkedBefore = fixture.Metrics.Parked;
        fixture.Faults.FailAll(() => new InvalidOperationException("a bug that refuses every message (injected)"));
        try
        {
            var a = Fake.EnqueueText("refused like all 1", from: first);
            var b = Fake.EnqueueText("refused like all 2", from: second);

            await Eventually.True(() => fixture.Faults.Attempts("refused like all 1") >= TelegramReceiverFixture.ParkAfter + 2
                && fixture.Faults.Attempts("refused like all 2") >= TelegramReceiverFixture.ParkAfter + 2, TimeSpan.FromSeconds(30), "retries past the park threshold");
            Assert.Equal(parkedBefore, fixture.Metrics.Parked);
            Assert.Equal(2, Fake.PendingUpdateCount);
            Assert.Equal(1, LinesWith($"update {a.UpdateId} was refused {TelegramReceiverFixture.ParkAfter} times, but no other update went through"));
            Assert.DoesNotContain(await ParkedAsync(), p => p.UpdateId == a.UpdateId || p.UpdateId == b.UpdateId);
        }
        finally
        {
            fixture.Faults.FailAll(null);
        }
        await Fake.WaitForNoPendingUpdatesAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(parkedBefore, fixture.Metrics.Parked);
    }

    [Fact]
    public async Task When_a_fault_that_refused_everything_ends_a_refusal_beside_the_first_good_update_does_not_park()
    {
        var (first, second) = (Fake.CreateUser("Recovering1"), Fake.CreateUser("Recovering2"));
        var parkedBefore = fixture.Metrics.Parked;
        fixture.Faults.FailAll(() => new InvalidOperationException("a bug that refuses every message (injected)"));
        var a = Fake.EnqueueText("refused until the fix 1", from: first);
        var b = Fake.EnqueueText("refused until the fix 2", from: second);
        await Eventually.True(() => fixture.Faults.Attempts("refused until the fix 1") >= TelegramReceiverFixture.ParkAfter + 1
            && fixture.Faults.Attempts("refused until the fix 2") >= TelegramReceiverFixture.ParkAfter + 1, TimeSpan.FromSeconds(30), "refusals past the park threshold");

        // The fix lands while a batch is in flight: the first chat's update goes through, the second's is refused once
        // more beside it. Its earlier refusals, when nothing went through, are no evidence against it.
        fixture.Faults.Fail("refused until the fix 2", () => new InvalidOperationException("the last refusal before the fix (injected)"));
        fixture.Faults.FailAll(null);
        await WaitForMessageAsync(Api, ChatIdOf(first.Id), Id(a.MessageId), timeout: TimeSpan.FromSeconds(30));
        var refusedAfter = fixture.Faults.Attempts("refused until the fix 2");
        // Fetched again twice after the good update went through: a park would have happened on the first fetch.
        await Eventually.True(() => fixture.Faults.Attempts("refused until the fix 2") >= refusedAfter + 2, TimeSpan.FromSeconds(30), "refusals after the fix");
        fixture.Faults.Heal("refused until the fix 2");

        await WaitForMessageAsync(Api, ChatIdOf(second.Id), Id(b.MessageId), timeout: TimeSpan.FromSeconds(30));
        await Fake.WaitForNoPendingUpdatesAsync(cancellationToken: Ct);
        Assert.Equal(parkedBefore, fixture.Metrics.Parked);
        Assert.DoesNotContain(await ParkedAsync(), p => p.UpdateId == a.UpdateId || p.UpdateId == b.UpdateId);
    }

    [Fact]
    public async Task A_transient_failure_is_retried_with_the_offset_held_and_never_parked()
    {
        var user = Fake.CreateUser("Patient");
        fixture.Faults.Fail("storage is down", () => new IOException("disk I/O error (injected)"));
        // Only the polls from here on can confirm this update: the fake's history also holds earlier tests' polls,
        // whose offsets are higher than this update_id when one of them restarted the ids lower.
        var pollsBefore = Fake.CallCount("getUpdates");
        var update = Fake.EnqueueText("storage is down", from: user);

        // Well past the park threshold: a transient failure never counts towards it.
        await Eventually.True(() => fixture.Faults.Attempts("storage is down") >= TelegramReceiverFixture.ParkAfter + 3, TimeSpan.FromSeconds(30), "retries while storage is down");
        Assert.Equal(1, Fake.PendingUpdateCount);
        Assert.True(Fake.CallsTo("getUpdates").Skip(pollsBefore).All(c => !c.Parameters.TryGetValue("offset", out var o) || long.Parse(o, CultureInfo.InvariantCulture) <= update.UpdateId),
            "the update's offset was confirmed while its chat had not stored it");

        fixture.Faults.Heal("storage is down");
        await WaitForMessageAsync(Api, ChatIdOf(user.Id), Id(update.MessageId), timeout: TimeSpan.FromSeconds(30));
        await Fake.WaitForNoPendingUpdatesAsync(cancellationToken: Ct);
        Assert.DoesNotContain(await ParkedAsync(), p => p.UpdateId == update.UpdateId);
        Assert.Equal(0, LinesWith($"update {update.UpdateId} parked"));
    }

    [Fact]
    public async Task An_update_the_SDK_cannot_read_is_parked_at_once_with_its_raw_json()
    {
        var user = Fake.CreateUser("Reader");
        var unreadable = Fake.EnqueueUpdate($$$"""
            {"message": {"message_id": 77001, "date": "the day after tomorrow",
              "chat": {"id": {{{user.Id}}}, "first_name": "Reader", "type": "private"},
              "from": {"id": {{{user.Id}}}, "is_bot": false, "first_name": "Reader"}, "text": "unreadable date"}}
            """);
        var next = Fake.EnqueueText("readable", from: user);

        await WaitForMessageAsync(Api, ChatIdOf(user.Id), Id(next.MessageId), timeout: TimeSpan.FromSeconds(30));
        await Fake.WaitForNoPendingUpdatesAsync(cancellationToken: Ct);

        var parked = Assert.Single(await ParkedAsync(), p => p.UpdateId == unreadable.UpdateId);
        Assert.Equal(("unreadable", 1), (parked.Reason, parked.Attempts));
        Assert.Contains("the day after tomorrow", parked.Json, StringComparison.Ordinal);
        Assert.Equal(1, LinesWith($"update {unreadable.UpdateId} parked"));
    }

    [Fact]
    public async Task After_update_ids_restart_lower_the_new_updates_are_received_and_confirmed()
    {
        var user = Fake.CreateUser("Weekly");
        var before = Fake.EnqueueText("the last one before a quiet week", from: user);
        await WaitForMessageAsync(Api, ChatIdOf(user.Id), Id(before.MessageId));
        await Fake.WaitForNoPendingUpdatesAsync(cancellationToken: Ct);
        var jumpsBefore = fixture.Metrics.IdJumps;
        var ignoredBefore = Fake.IgnoredOffsetCount;

        // A week without updates: the server picks the next update_id at random, here far below the stored offset.
        Fake.RestartUpdateIds(4242);
        var callsBefore = Fake.CallCount("getUpdates");
        var first = Fake.EnqueueText("after the quiet week", from: user);
        var second = Fake.EnqueueText("and one more", from: user);
        Assert.Equal(4242, first.UpdateId);

        await WaitForMessageAsync(Api, ChatIdOf(user.Id), Id(second.MessageId), timeout: TimeSpan.FromSeconds(30));
        await Fake.WaitForNoPendingUpdatesAsync(cancellationToken: Ct);
        Assert.Contains(await MessagesAsync(Api, ChatIdOf(user.Id)), m => m.PlatformMessageId == Id(first.MessageId));
        Assert.True(Fake.IgnoredOffsetCount > ignoredBefore, "the stale offset never reached the fake");
        Assert.Equal(jumpsBefore + 1, fixture.Metrics.IdJumps);
        Assert.Equal(1, LinesWith($"update_id went back from {before.UpdateId + 1} to 4242"));
        // Followed at once: no loop of polls that get the same updates again.
        Assert.True(Fake.CallCount("getUpdates") - callsBefore <= 4, $"{Fake.CallCount("getUpdates") - callsBefore} polls after the restart");
    }

    [Fact]
    public async Task Updates_another_client_confirmed_show_as_one_logged_jump()
    {
        var user = Fake.CreateUser("Shared");
        var seen = Fake.EnqueueText("seen by us", from: user);
        await WaitForMessageAsync(Api, ChatIdOf(user.Id), Id(seen.MessageId));
        await Fake.WaitForNoPendingUpdatesAsync(cancellationToken: Ct);
        var jumpsBefore = fixture.Metrics.IdJumps;

        // The server skips ahead (as after a restart to a higher random id): the stored offset is "in the past".
        Fake.RestartUpdateIds(seen.UpdateId + 500_000);
        var later = Fake.EnqueueText("after the skip", from: user);

        await WaitForMessageAsync(Api, ChatIdOf(user.Id), Id(later.MessageId), timeout: TimeSpan.FromSeconds(30));
        await Fake.WaitForNoPendingUpdatesAsync(cancellationToken: Ct);
        Assert.Equal(jumpsBefore + 1, fixture.Metrics.IdJumps);
        Assert.Equal(1, LinesWith($"update_id jumped from {seen.UpdateId + 1} to {later.UpdateId}"));
    }

    [Fact]
    public async Task Empty_answers_that_come_at_once_are_spaced_by_the_empty_backoff()
    {
        var user = Fake.CreateUser("Proxy");
        var waitsBefore = fixture.Metrics.EmptyPollWaits;
        Fake.IgnoreLongPollTimeout = true;
        try
        {
            var from = Fake.CallCount("getUpdates");
            await Fake.WaitForAsync(f => f.CallCount("getUpdates") >= from + 5, TimeSpan.FromSeconds(30), Ct);
            var calls = Fake.CallsTo("getUpdates").Skip(from + 1).Take(4).ToList();
            var gaps = calls.Zip(calls.Skip(1), (a, b) => b.Timestamp - a.Timestamp).ToList();
            // Answers are recorded when they go out; a spinning loop would put them a few milliseconds apart.
            Assert.All(gaps, gap => Assert.True(gap >= TelegramReceiverFixture.EmptyBackoff / 2, $"polls {gap.TotalMilliseconds:0} ms apart"));
            Assert.True(fixture.Metrics.EmptyPollWaits >= waitsBefore + 3, $"{fixture.Metrics.EmptyPollWaits - waitsBefore} counted waits");

            // Updates still arrive while the server does not long-poll.
            var update = Fake.EnqueueText("through the proxy", from: user);
            await WaitForMessageAsync(Api, ChatIdOf(user.Id), Id(update.MessageId));
        }
        finally
        {
            Fake.IgnoreLongPollTimeout = false;
        }
    }

    [Fact]
    public async Task A_404_from_something_that_is_not_the_Bot_API_is_one_error_line_and_polling_comes_back()
    {
        var user = Fake.CreateUser("Routed");
        var linesBefore = LinesWith("answered 404 Not Found");
        Fake.FailNext("getUpdates", errorCode: 404, description: "Not Found", times: 3);
        // Ends the long poll in progress, so the next calls meet the bad route.
        Fake.EnqueueText("before the bad route", from: user);
        await Fake.WaitForAsync(f => f.CallsTo("getUpdates").Count(c => c.StatusCode == 404) >= 3, TimeSpan.FromSeconds(30), Ct);
        var update = Fake.EnqueueText("after the bad route", from: user);

        await WaitForMessageAsync(Api, ChatIdOf(user.Id), Id(update.MessageId), timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(3, Fake.CallsTo("getUpdates").Count(c => c.StatusCode == 404));
        Assert.Equal(linesBefore + 1, LinesWith("answered 404 Not Found"));
        Assert.Contains(fixture.Service.Logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains("TELEGRAM_API_URL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_webhook_set_by_another_deployment_is_one_warning_never_deleted_and_polling_resumes_after()
    {
        var user = Fake.CreateUser("Contested");
        var other = new TelegramBotClient(new TelegramBotClientOptions(Fake.Token, Fake.BaseUrl));
        var deletesBefore = Fake.CallCount("deleteWebhook");
        var linesBefore = LinesWith("getUpdates answered 409");
        var conflictsBefore = fixture.Metrics.ErrorsOf("conflict");
        var answered409Before = Fake.CallsTo("getUpdates").Count(c => c.StatusCode == 409);

        await other.SetWebhook($"http://127.0.0.1:{FreePort.Next()}/hook", cancellationToken: Ct);
        var update = Fake.EnqueueText("while the webhook is set", from: user);
        // The conflict slows down on the server (one 409 per 3 s): two answers are enough to see the loop hold back.
        await Fake.WaitForAsync(f => f.CallsTo("getUpdates").Count(c => c.StatusCode == 409) >= answered409Before + 2, TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(deletesBefore, Fake.CallCount("deleteWebhook"));
        Assert.Equal(linesBefore + 1, LinesWith("getUpdates answered 409"));

        await other.DeleteWebhook(cancellationToken: Ct);
        await WaitForMessageAsync(Api, ChatIdOf(user.Id), Id(update.MessageId), timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(linesBefore + 1, LinesWith("getUpdates answered 409"));
        Assert.True(fixture.Metrics.ErrorsOf("conflict") >= conflictsBefore + 2, $"{fixture.Metrics.ErrorsOf("conflict") - conflictsBefore} conflicts counted");
        Assert.Contains(fixture.Service.Logs.Lines, l => l.Contains("getUpdates works again", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Another_getUpdates_with_the_same_token_is_one_warning_and_no_tight_loop()
    {
        var user = Fake.CreateUser("Twin");
        var twin = new TelegramBotClient(new TelegramBotClientOptions(Fake.Token, Fake.BaseUrl) { RetryThreshold = 0 });
        var linesBefore = LinesWith("getUpdates answered 409");
        var started = DateTimeOffset.UtcNow;

        // A second instance of the bot polls for a while (each of its polls ends ours, and ours end its).
        var twinPolls = 0;
        while (DateTimeOffset.UtcNow - started < TimeSpan.FromSeconds(4))
        {
            try
            {
                await twin.GetUpdates(offset: -1, timeout: 1, cancellationToken: Ct);
            }
            catch (ApiRequestException ex) when (ex.ErrorCode == 409)
            {
            }
            twinPolls++;
        }
        var ours = Fake.CallsTo("getUpdates").Count(c => c.Timestamp >= started);
        Assert.True(ours - twinPolls < 20, $"{ours - twinPolls} of our polls in 4 s of conflict");
        Assert.True(LinesWith("getUpdates answered 409") <= linesBefore + 1);

        var update = Fake.EnqueueText("after the twin left", from: user);
        await WaitForMessageAsync(Api, ChatIdOf(user.Id), Id(update.MessageId), timeout: TimeSpan.FromSeconds(30));
    }
}

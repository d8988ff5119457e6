using MessengerAutoReply.Chats;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace MessengerAutoReply.Tests.Chats;

/// <summary>A graceful stop lets running chat work report back first, and starts no new work.</summary>
public sealed class ChatWorkRunnerTests
{
    private sealed class Lifecycle : ISiloLifecycle
    {
        public Func<CancellationToken, Task>? OnStop;

        public int HighestCompletedStage => 0;

        public int LowestStoppedStage => 0;

        public IDisposable Subscribe(string observerName, int stage, ILifecycleObserver observer)
        {
            OnStop = observer.OnStop;
            return new MemoryStream();
        }
    }

    [Fact]
    public async Task Stopping_waits_for_running_work_and_refuses_new_work()
    {
        var runner = new ChatWorkRunner(Options.Create(new ChatOptions { WorkDrainTimeout = TimeSpan.FromSeconds(30) }), NullLogger<ChatWorkRunner>.Instance);
        var lifecycle = new Lifecycle();
        runner.Participate(lifecycle);
        var release = new TaskCompletionSource();
        var reported = false;
        Assert.True(runner.TryStart("c1", async () =>
        {
            await release.Task;
            reported = true;
        }));

        var stopping = lifecycle.OnStop!(CancellationToken.None);
        await Task.Yield();
        Assert.False(stopping.IsCompleted);
        Assert.False(runner.TryStart("c2", () => Task.CompletedTask));

        release.SetResult();
        await stopping.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.True(reported);
        Assert.Equal(0, runner.Running);
    }

    [Fact]
    public async Task Work_that_does_not_end_is_given_up_after_WORK_DRAIN_TIMEOUT()
    {
        var runner = new ChatWorkRunner(Options.Create(new ChatOptions { WorkDrainTimeout = TimeSpan.FromMilliseconds(100) }), NullLogger<ChatWorkRunner>.Instance);
        var lifecycle = new Lifecycle();
        runner.Participate(lifecycle);
        var never = new TaskCompletionSource();
        runner.TryStart("c1", () => never.Task);

        await lifecycle.OnStop!(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal(1, runner.Running);
    }
}

using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace MessengerAutoReply.Tests.Infrastructure;

/// <summary>
/// Decorates a grain storage so a test can hold writes: a held write waits, already counted, until
/// <see cref="Release"/>. "The write is under way" is then an explicit signal (<see cref="WaitForHeldWriteAsync"/>),
/// and anything that must wait for durability can be seen waiting.
/// </summary>
public sealed class HeldGrainStorage : IGrainStorage
{
    private readonly Lock _gate = new();
    private IGrainStorage? _inner;
    private Func<string, GrainId, bool>? _hold;
    private TaskCompletionSource _released = NewSignal();
    private TaskCompletionSource _heldChanged = NewSignal();
    private int _held;

    /// <summary>Writes held since the last <see cref="Hold"/> (including those already released).</summary>
    public int HeldWrites { get { lock (_gate) return _held; } }

    /// <summary>Replaces the storage registered under <paramref name="name"/> with a holding wrapper around it.</summary>
    public static HeldGrainStorage Decorate(IServiceCollection services, string name)
    {
        var original = services.Last(d => d.ServiceType == typeof(IGrainStorage) && d.IsKeyedService && Equals(d.ServiceKey, name));
        var held = new HeldGrainStorage();
        services.AddKeyedSingleton<IGrainStorage>(name, (sp, key) =>
        {
            held._inner = original.KeyedImplementationInstance as IGrainStorage
                ?? original.KeyedImplementationFactory?.Invoke(sp, key) as IGrainStorage
                ?? (IGrainStorage)ActivatorUtilities.CreateInstance(sp, original.KeyedImplementationType!);
            return held;
        });
        return held;
    }

    /// <summary>From now on, writes of state <paramref name="stateName"/> of grains whose key is <paramref name="grainKey"/> wait.</summary>
    public void Hold(string stateName, string grainKey) =>
        Hold((state, id) => state == stateName && id.Key.ToString() == grainKey);

    public void Hold(Func<string, GrainId, bool> which)
    {
        lock (_gate)
        {
            _hold = which;
            _held = 0;
            _released = NewSignal();
        }
    }

    /// <summary>Lets every held write (and every later one) through.</summary>
    public void Release()
    {
        lock (_gate)
        {
            _hold = null;
            _released.TrySetResult();
        }
    }

    public async Task WaitForHeldWriteAsync(int count = 1, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_held >= count)
                {
                    return;
                }
                changed = _heldChanged.Task;
            }
            try
            {
                await changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No held write in time (wanted {count}, have {HeldWrites}).");
            }
        }
    }

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => Inner.ReadStateAsync(stateName, grainId, grainState);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        Task? wait = null;
        lock (_gate)
        {
            if (_hold?.Invoke(stateName, grainId) == true)
            {
                _held++;
                wait = _released.Task;
                var changed = _heldChanged;
                _heldChanged = NewSignal();
                changed.TrySetResult();
            }
        }
        if (wait is not null)
        {
            await wait;
        }
        await Inner.WriteStateAsync(stateName, grainId, grainState);
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => Inner.ClearStateAsync(stateName, grainId, grainState);

    private IGrainStorage Inner => _inner ?? throw new InvalidOperationException("The decorated storage is not built yet.");

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

using MessengerAutoReply.Archive;
using MessengerAutoReply.Archive.PocketBase;
using MessengerAutoReply.Brevo;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Delivery;
using MessengerAutoReply.Events;
using MessengerAutoReply.Media;
using MessengerAutoReply.Operators;
using MessengerAutoReply.Telegram;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Persistence;
using Orleans.Hosting;
using Orleans.Serialization;
using Orleans.Storage;
using StackExchange.Redis;

namespace MessengerAutoReply.Hosting;

public static class SiloSetup
{
    /// <summary>
    /// Services every process needs, silo or API host: settings, the archive the GET routes read, and the
    /// gateway registry (the API host answers 503 for a platform that is not configured).
    /// </summary>
    public static IServiceCollection AddMessengerCore(this IServiceCollection services, ServiceSettings settings)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddKeyedSingleton<TimeProvider>(ChatClock.Key, (sp, _) => sp.GetRequiredService<TimeProvider>());
        services.AddValidatedOptions(settings.Ai);
        if (settings.Ai.Enabled)
        {
            services.TryAddSingleton<Ai.IReplyEngine, Ai.OpenAIReplyEngine>();
        }
        services.AddSingleton(settings);
        services.AddValidatedOptions(settings.Hosting);
        services.AddValidatedOptions(settings.Chats);
        services.AddValidatedOptions(settings.PendingWork);
        // PocketBase first when POCKET_BASE_URL is set: the defaults below are TryAdd.
        services.AddPocketBaseArchive(settings);
        services.TryAddSingleton(sp => new ArchiveBacklog(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddSingleton<IChatArchive>(_ => new SqliteChatArchive(settings.Hosting.ArchiveDatabase));
        services.TryAddSingleton<IMediaStore>(_ => new FileMediaStore(settings.Hosting.MediaDirectory));
        services.AddOperatorStorage(settings);
        services.TryAddSingleton(settings.Media);
        services.TryAddSingleton<MediaDownloads>();
        services.AddTelegramChannel(settings);
        services.TryAddSingleton<GatewayRegistry>();
        services.AddBrevo(settings);
        if (settings.Hosting.ClusterMode)
        {
            services.TryAddSingleton<IConnectionMultiplexer>(_ =>
                ConnectionMultiplexer.Connect(RedisConnection.Normalize(settings.Hosting.RedisUrl!)));
        }
        return services;
    }

    /// <summary>The silo: membership for the chosen mode, then everything grains need.</summary>
    public static ISiloBuilder AddMessengerSilo(this ISiloBuilder silo, ServiceSettings settings)
    {
        var hosting = settings.Hosting;
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = hosting.ClusterId;
            o.ServiceId = hosting.ServiceId;
        });
        if (hosting.ClusterMode)
        {
            silo.UseRedisClustering(o => o.ConfigurationOptions = ConfigurationOptions.Parse(RedisConnection.Normalize(hosting.RedisUrl!)));
            // Silo-to-silo and gateway traffic is unauthenticated: listen only on the address the other silos are told
            // (loopback unless SILO_ADVERTISED_IP says otherwise), never on every interface unless SILO_LISTEN_ANY.
            silo.ConfigureEndpoints(hosting.AdvertisedIp ?? System.Net.IPAddress.Loopback, hosting.SiloPort, hosting.GatewayPort,
                listenOnAnyHostAddress: hosting.SiloListenAny);
            // How fast a crashed silo is declared dead (its grains come back elsewhere only then): Orleans'
            // defaults unless set; the fault harness runs with 1 s / 2 / 1 (orleans-notes, 4).
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                if (hosting.ProbeTimeout is { } probe)
                {
                    o.ProbeTimeout = probe;
                }
                if (hosting.MissedProbesLimit is { } missed)
                {
                    o.NumMissedProbesLimit = missed;
                }
                if (hosting.DeathVotes is { } votes)
                {
                    o.NumVotesForDeathDeclaration = votes;
                }
            });
        }
        else
        {
            silo.UseLocalhostClustering(hosting.SiloPort, hosting.GatewayPort, serviceId: hosting.ServiceId, clusterId: hosting.ClusterId);
        }
        return silo.AddMessengerRuntime(settings);
    }

    /// <summary>
    /// Grain storage, streams and pending-work registry, without membership (a test cluster brings its own):
    /// Redis when REDIS_URL is set, the data folder otherwise.
    /// </summary>
    public static ISiloBuilder AddMessengerRuntime(this ISiloBuilder silo, ServiceSettings settings)
    {
        var hosting = settings.Hosting;
        silo.Services.AddMessengerCore(settings);
        silo.Services.AddGrainStateSerializer();
        if (hosting.ClusterMode)
        {
            var redis = RedisConnection.Normalize(hosting.RedisUrl!);
            // Both stores take the default IGrainStorageSerializer: GrainStateSerializer (binary, reads JSON too).
            silo.AddRedisGrainStorage(StorageNames.Chats, o => o.ConfigurationOptions = ConfigurationOptions.Parse(redis));
            silo.Services.TryAddSingleton<IPendingWorkRegistry>(sp =>
                new RedisPendingWorkRegistry(sp.GetRequiredService<IConnectionMultiplexer>(), hosting.ServiceId));
        }
        else
        {
            silo.Services.AddKeyedSingleton<IGrainStorage>(StorageNames.Chats,
                (sp, _) => new SqliteGrainStorage(hosting.GrainDatabase, sp.GetRequiredService<IGrainStorageSerializer>()));
            silo.Services.TryAddSingleton<IPendingWorkRegistry>(_ => new SqlitePendingWorkRegistry(hosting.GrainDatabase));
        }
        silo.Services.AddChatWorkers();
        // Chat events are pushed, not streamed: in process in the embedded default, to every API host's observer
        // in cluster mode (IChatEventSink).
        if (hosting.ClusterMode)
        {
            silo.Services.TryAddSingleton<IChatEventSink, ClusterChatEventSink>();
        }
        else
        {
            silo.Services.AddLocalChatEvents();
        }
        return silo;
    }

    /// <summary>The workers chat grains hand their I/O to, and the runner that drains them when the silo stops.</summary>
    public static IServiceCollection AddChatWorkers(this IServiceCollection services)
    {
        services.TryAddSingleton<ChatWorkRunner>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<ChatWorkRunner>());
        services.TryAddSingleton<DeliveryWorker>();
        services.TryAddSingleton<MediaWorker>();
        services.TryAddSingleton<ArchiveWorker>();
        services.TryAddSingleton<ReplyWorker>();
        services.TryAddSingleton<ChatWorkers>();
        return services;
    }

    /// <summary>One in-process event transport: the grain's sink and the API host's source are the same object.</summary>
    public static IServiceCollection AddLocalChatEvents(this IServiceCollection services)
    {
        services.TryAddSingleton<LocalChatEvents>();
        services.TryAddSingleton<IChatEventSink>(sp => sp.GetRequiredService<LocalChatEvents>());
        services.TryAddSingleton<IChatEventSource>(sp => sp.GetRequiredService<LocalChatEvents>());
        return services;
    }

    /// <summary>An API host in cluster mode: an observer the silos push to, feeding this process's event source.</summary>
    public static IServiceCollection AddChatEventObserver(this IServiceCollection services)
    {
        services.AddLocalChatEvents();
        services.TryAddSingleton<ChatEventObserver>();
        services.AddHostedService<ChatEventHostRegistration>();
        return services;
    }

    /// <summary>
    /// Orleans' binary serializer for grain state in every provider that takes the default (memory, Redis, and
    /// the SQLite one), reading state stored as Orleans' default JSON too (<see cref="GrainStateSerializer"/>).
    /// </summary>
    public static IServiceCollection AddGrainStateSerializer(this IServiceCollection services)
    {
        services.RemoveAll<IGrainStorageSerializer>();
        services.AddSingleton<IGrainStorageSerializer>(sp => new GrainStateSerializer(
            new OrleansGrainStorageSerializer(sp.GetRequiredService<Serializer>()),
            new JsonGrainStorageSerializer(sp.GetRequiredService<OrleansJsonSerializer>())));
        return services;
    }

    /// <summary>Registered after the silo so it starts once grains can be called (see orleans-notes, 1).</summary>
    public static IServiceCollection AddMessengerSiloWorkers(this IServiceCollection services)
    {
        services.AddHostedService<Ai.AiStartupNotes>();
        services.AddHostedService<PendingWorkSweeper>();
        services.AddTelegramWorkers();
        return services;
    }
}

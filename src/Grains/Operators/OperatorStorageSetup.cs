using MessengerAutoReply.Archive.PocketBase;
using MessengerAutoReply.Hosting;
using MessengerAutoReply.Operators.PocketBase;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace MessengerAutoReply.Operators;

public static class OperatorStorageSetup
{
    /// <summary>
    /// The workspace stores beside the archive: PocketBase collections when POCKET_BASE_URL is set (the archive's
    /// client and schema, registered by <see cref="PocketBaseSetup.AddPocketBaseArchive"/>), SQLite tables of the
    /// archive's file otherwise.
    /// </summary>
    public static IServiceCollection AddOperatorStorage(this IServiceCollection services, ServiceSettings settings)
    {
        if (settings.PocketBase is not null)
        {
            services.TryAddSingleton<IOperatorStore, PocketBaseOperatorStore>();
            services.TryAddSingleton<IAuditLog, PocketBaseAuditLog>();
            services.TryAddSingleton<ICannedResponseStore, PocketBaseCannedResponseStore>();
        }
        else
        {
            services.TryAddSingleton<IOperatorStore>(_ => new SqliteOperatorStore(settings.Hosting.ArchiveDatabase));
            services.TryAddSingleton<IAuditLog>(_ => new SqliteAuditLog(settings.Hosting.ArchiveDatabase));
            services.TryAddSingleton<ICannedResponseStore>(_ => new SqliteCannedResponseStore(settings.Hosting.ArchiveDatabase));
        }
        return services;
    }
}

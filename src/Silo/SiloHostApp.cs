using MessengerAutoReply.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MessengerAutoReply.Silo;

/// <summary>A silo process of cluster mode: Redis membership, Redis grain state, memory streams.</summary>
public static class SiloHostApp
{
    public static IHost Build(string[] args, IDictionary<string, string?>? overrides = null, Action<IServiceCollection>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }
        var settings = ServiceSettings.Load(builder.Configuration, read =>
        {
            if (read.String("REDIS_URL") is null)
            {
                read.Error("REDIS_URL", "a separate silo runs only in cluster mode; set REDIS_URL (or run src/ApiHost alone for the embedded default)");
            }
        });
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        builder.Logging.AddFilter("Orleans", LogLevel.Warning);
        builder.Logging.AddFilter("Polly", LogLevel.Warning);
        builder.Logging.QuietStartAbort();
        builder.UseOrleans(silo => silo.AddMessengerSilo(settings));
        builder.Services.AddMessengerSiloWorkers();
        configure?.Invoke(builder.Services);
        return builder.Build();
    }
}

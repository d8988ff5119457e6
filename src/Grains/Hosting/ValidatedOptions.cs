using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace MessengerAutoReply.Hosting;

/// <summary>
/// The one way option groups are registered. Every group is read and checked by <see cref="ServiceSettings.Load"/>
/// before the host is built (so every bad variable is reported in one start, one line each, naming it); what is
/// registered here is already valid. Consumers take <c>IOptions&lt;T&gt;</c>; the value itself is registered
/// too, resolved from the same <c>IOptions&lt;T&gt;</c>, for constructors that take it directly.
/// </summary>
public static class ValidatedOptions
{
    public static IServiceCollection AddValidatedOptions<T>(this IServiceCollection services, T options)
        where T : class
    {
        services.TryAddSingleton(Microsoft.Extensions.Options.Options.Create(options));
        services.TryAddSingleton(sp => sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<T>>().Value);
        return services;
    }
}

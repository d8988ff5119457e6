using System.Data.Common;
using System.Net.Sockets;

namespace MessengerAutoReply.Telegram;

/// <summary>
/// Whether a failed hand-off of an update may work later by itself (storage, network, cluster) or says something
/// about the update. Judged by the root cause: Orleans wraps a storage provider's error in its own exception.
/// </summary>
public static class TelegramFailures
{
    private static readonly string[] TransientNamespaces = ["StackExchange.Redis", "Orleans.Runtime", "Orleans.Storage", "Orleans.Networking"];

    public static bool IsTransient(Exception error)
    {
        var root = Root(error);
        return root is TimeoutException or IOException or SocketException or HttpRequestException or DbException or OperationCanceledException
            || (root.GetType().Namespace is { } ns && TransientNamespaces.Any(t => ns.StartsWith(t, StringComparison.Ordinal)));
    }

    /// <summary>Type and message of the root cause, for a log line or a parked update.</summary>
    public static string Describe(Exception error)
    {
        var root = Root(error);
        return $"{root.GetType().Name}: {root.Message}";
    }

    private static Exception Root(Exception error)
    {
        var current = error;
        for (var depth = 0; depth < 16; depth++)
        {
            var next = current is AggregateException { InnerExceptions.Count: > 0 } aggregate ? aggregate.InnerExceptions[0] : current.InnerException;
            if (next is null)
            {
                break;
            }
            current = next;
        }
        return current;
    }
}

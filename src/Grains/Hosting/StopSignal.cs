using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MessengerAutoReply.Hosting;

/// <summary>
/// SIGTERM, SIGINT and SIGQUIT at any moment, start-up included, end the process with exit code 0 and no stack
/// trace. Installed as the first statement of Main, before the host exists: the runtime's own default would end
/// the process with 143, and a stop that cancels the host's start makes Kestrel's bind, the Orleans client's
/// connect loop and the silo's start throw, which the host logs and rethrows as an unhandled exception.
/// </summary>
public static class StopSignal
{
    private static readonly CancellationTokenSource Stopping = new();
    private static readonly List<PosixSignalRegistration> Registrations = [];
    private static volatile bool _started;

    private static CancellationToken _hostStopping;

    /// <summary>
    /// A signal arrived, or the host began to stop. The host's flag is read too: its console lifetime may get the
    /// signal first, and cancellation callbacks run in reverse order, so a start cut short can fail before ours ran.
    /// </summary>
    public static bool Requested => Stopping.IsCancellationRequested || _hostStopping.IsCancellationRequested;

    /// <summary>A stop arrived before the host finished starting: what fails now is the start being cut short.</summary>
    public static bool DuringStart => Requested && !_started;

    public static void Install()
    {
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT })
        {
            Registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                // Cancel the runtime's default (exit 143); the host's own handler (if running) stops it too.
                context.Cancel = true;
                Stopping.Cancel();
            }));
        }
    }

    /// <summary>
    /// Quiets the loggers that report a start cut short by a stop as an error with a stack trace (the host's
    /// "Hosting failed to start", the silo's "Exception during Silo.Start", Orleans' runtime); outside that moment
    /// they log as configured.
    /// </summary>
    public static ILoggingBuilder QuietStartAbort(this ILoggingBuilder logging)
    {
        logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", level => level >= LogLevel.Information && !(DuringStart && level >= LogLevel.Error));
        logging.AddFilter("Orleans.Runtime.Silo", level => level >= LogLevel.Warning && !(DuringStart && level >= LogLevel.Error));
        // A silo stopped while it joins: membership, messaging and its system timers (the load publisher firing
        // into a runtime that is being torn down) report the cut-short join as warnings and errors with stacks.
        // Nothing was accepted yet, so nothing of it is worth a line.
        logging.AddFilter("Orleans", level => level >= LogLevel.Warning && !DuringStart);
        // A silo that stops cancels its calls to the client directory of silos still running; Orleans logs each
        // cancelled call as an error with its stack, while nothing is wrong.
        // Calls this process still makes while it stops (a send slot, a host list) fail to address with "silo is
        // shutting down", logged as errors with their stack; the callers retry or fall back.
        logging.AddFilter("Orleans.Messaging", level => level >= LogLevel.Warning && !DuringStart && !(Requested && level >= LogLevel.Error));
        logging.AddFilter("Orleans.Runtime.GrainDirectory.ClientDirectory", level => level >= LogLevel.Warning && !DuringStart && !(Requested && level >= LogLevel.Error));
        // Orleans' placement retries run through Polly, which logs each retry of a call to a silo that never
        // became active; outside a cut-short start Polly logs as configured.
        logging.AddFilter("Polly", level => level >= LogLevel.Warning && !DuringStart);
        return logging;
    }

    /// <summary>Runs the host until a stop signal; 0 when stopped, whenever the stop came.</summary>
    public static async Task<int> RunAsync(Func<IHost> build)
    {
        if (Requested)
        {
            return 0;
        }
        var host = build();
        _hostStopping = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        try
        {
            if (Requested)
            {
                return 0;
            }
            try
            {
                await host.StartAsync(Stopping.Token);
            }
            catch (Exception) when (Requested)
            {
                Console.WriteLine("Stopped during start-up.");
                await StopQuietlyAsync(host);
                return 0;
            }
            _started = true;
            await host.WaitForShutdownAsync(Stopping.Token);
            return 0;
        }
        finally
        {
            await DisposeQuietlyAsync(host);
        }
    }

    private static async Task StopQuietlyAsync(IHost host)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await host.StopAsync(timeout.Token);
        }
        catch (Exception) when (Requested)
        {
            // What had started is stopped as far as it goes; the process is ending either way.
        }
    }

    private static async Task DisposeQuietlyAsync(IHost host)
    {
        try
        {
            if (host is IAsyncDisposable asyncDisposable)
            {
                await asyncDisposable.DisposeAsync();
            }
            else
            {
                host.Dispose();
            }
        }
        catch (Exception) when (Requested)
        {
        }
    }
}

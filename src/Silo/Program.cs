using MessengerAutoReply.Hosting;
using MessengerAutoReply.Silo;
using Microsoft.Extensions.Hosting;

// First, before anything can take time: a stop from now on ends the process with 0 (StopSignal).
StopSignal.Install();

// .env fills in what the environment does not set (the seed's configuration file).
if (File.Exists(".env"))
{
    DotNetEnv.Env.NoClobber().Load(".env");
}

try
{
    return await StopSignal.RunAsync(() => SiloHostApp.Build(args));
}
catch (InvalidSettingsException ex)
{
    foreach (var error in ex.Errors)
    {
        Console.Error.WriteLine($"Configuration error: {error}");
    }
    return 2;
}

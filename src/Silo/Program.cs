using MessengerAutoReply.Hosting;
using MessengerAutoReply.Silo;
using Microsoft.Extensions.Hosting;

if (File.Exists(".env"))
{
    DotNetEnv.Env.NoClobber().Load(".env");
}

try
{
    await SiloHostApp.Build(args).RunAsync();
    return 0;
}
catch (InvalidSettingsException ex)
{
    foreach (var error in ex.Errors)
    {
        Console.Error.WriteLine($"Configuration error: {error}");
    }
    return 2;
}

using MessengerAutoReply.ApiHost.Hosting;
using MessengerAutoReply.Hosting;

// .env fills in what the environment does not set (the seed's configuration file).
if (File.Exists(".env"))
{
    DotNetEnv.Env.NoClobber().Load(".env");
}

try
{
    var app = ApiHostApp.Build(args);
    await app.RunAsync();
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

/// <summary>Entry point; see <see cref="ApiHostApp"/>.</summary>
public partial class Program;

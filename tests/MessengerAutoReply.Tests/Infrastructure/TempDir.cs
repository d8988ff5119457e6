namespace MessengerAutoReply.Tests.Infrastructure;

public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("mar-test-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A process may still hold a SQLite file for a moment; the OS cleans temp later.
        }
    }
}

namespace MessengerAutoReply.TestSupport;

/// <summary>A fresh folder under the system temp folder, removed on dispose.</summary>
public sealed class TempDir(string prefix = "mar-test") : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory($"{prefix}-").FullName;

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
        catch (UnauthorizedAccessException)
        {
        }
    }
}

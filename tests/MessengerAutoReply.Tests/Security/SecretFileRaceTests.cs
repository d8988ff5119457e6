using MessengerAutoReply.Hosting;
using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.Security;

/// <summary>
/// Attacks the generated secrets in DATA_DIR: two processes starting at once must end with one secret (not two
/// webhook secrets), and the file is never readable by others, not even for a moment.
/// </summary>
public sealed class SecretFileRaceTests
{
    [Fact]
    public void Concurrent_generators_sharing_the_data_folder_all_get_the_same_secret()
    {
        for (var round = 0; round < 40; round++)
        {
            using var data = new TempDir();
            const int generators = 8;
            using var start = new Barrier(generators);
            var results = new (string Value, bool Generated)[generators];
            var threads = Enumerable.Range(0, generators).Select(i => new Thread(() =>
            {
                start.SignalAndWait();
                results[i] = PersistedSecret.GetOrCreate(data.Path, "webhook-secret");
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());

            Assert.Single(results.Select(r => r.Value).Distinct());
            Assert.Single(results, r => r.Generated);
            Assert.Equal(results[0].Value, File.ReadAllText(Path.Combine(data.Path, "webhook-secret")).Trim());
            Assert.Equal(["webhook-secret"], Directory.GetFiles(data.Path).Select(Path.GetFileName));
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void The_secret_file_is_created_owner_only_whatever_the_umask()
    {
        using var data = new TempDir();
        var (_, generated) = PersistedSecret.GetOrCreate(data.Path, "api-key");
        Assert.True(generated);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(data.Path, "api-key")));
    }

    [Fact]
    public void An_existing_secret_is_read_back_not_replaced()
    {
        using var data = new TempDir();
        File.WriteAllText(Path.Combine(data.Path, "api-key"), "operator-chosen-secret\n");
        var (value, generated) = PersistedSecret.GetOrCreate(data.Path, "api-key");
        Assert.False(generated);
        Assert.Equal("operator-chosen-secret", value);
    }
}

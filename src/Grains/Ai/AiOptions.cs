using MessengerAutoReply.Hosting;

namespace MessengerAutoReply.Ai;

public enum ApiStyle
{
    /// <summary>Responses + Conversations: the conversation lives at OpenAI.</summary>
    Responses,
    /// <summary>Chat Completions: for compatible servers; the history is sent every time.</summary>
    Chat,
}

/// <summary>What the assistant is and how the service talks to it; all of it in our own configuration.</summary>
public sealed class AiOptions
{
    public string? ApiKey { get; init; }
    public Uri BaseUrl { get; init; } = new("https://api.openai.com/v1");
    public string Model { get; init; } = DefaultModel;
    public string Instructions { get; init; } = DefaultInstructions;
    public string VisionModel { get; init; } = DefaultModel;
    public string AudioModel { get; init; } = "whisper-1";
    public IReadOnlyList<string> VectorStoreIds { get; init; } = [];
    public ApiStyle Style { get; init; } = ApiStyle.Responses;
    public int HistoryMessages { get; init; } = 20;
    public int MaxOutputTokens { get; init; } = 800;
    public TimeSpan MaxVoice { get; init; } = TimeSpan.FromMinutes(5);
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(1500);
    public TimeSpan? AutoModeResumeAfter { get; init; }
    public bool ReplyInGroups { get; init; }
    public int MaxRetries { get; init; } = 5;
    public TimeSpan RetryBase { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan RetryMax { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(120);
    public TimeSpan TypingInterval { get; init; } = TimeSpan.FromSeconds(4);
    /// <summary>Set when the operator still has OPENAI_ASSISTANT_ID: start-up explains once what to do instead.</summary>
    public string? LegacyAssistantId { get; init; }

    public bool Enabled => ApiKey is not null;

    public const string DefaultModel = "gpt-5-mini";

    public const string DefaultInstructions =
        "You are the customer support assistant of a business, answering its customers in a messenger chat. " +
        "Answer briefly and politely, in the customer's language. If you do not know something, say that a colleague will follow up.";

    public static AiOptions Load(SettingsReader read)
    {
        var instructions = read.String("OPENAI_INSTRUCTIONS");
        if (instructions is not null && instructions.StartsWith('@'))
        {
            var path = instructions[1..];
            if (File.Exists(path))
            {
                instructions = File.ReadAllText(path).Trim();
            }
            else
            {
                read.Error("OPENAI_INSTRUCTIONS", $"the file '{path}' does not exist");
                instructions = null;
            }
        }
        var style = read.String("OPENAI_API_STYLE", "responses").ToLowerInvariant();
        if (style is not ("responses" or "chat"))
        {
            read.Error("OPENAI_API_STYLE", $"expected responses or chat, got '{style}'");
        }
        var model = read.String("OPENAI_MODEL", DefaultModel);
        var debounceMs = read.Int("REPLY_DEBOUNCE_MS", 1500, 0, 600_000);
        return new AiOptions
        {
            ApiKey = read.String("OPENAI_API_KEY"),
            BaseUrl = read.AbsoluteUri("OPENAI_BASE_URL", "https://api.openai.com/v1") ?? new Uri("https://api.openai.com/v1"),
            Model = model,
            Instructions = instructions ?? DefaultInstructions,
            VisionModel = read.String("OPENAI_VISION_MODEL", model),
            AudioModel = read.String("OPENAI_AUDIO_MODEL", "whisper-1"),
            VectorStoreIds = (read.String("OPENAI_VECTOR_STORE_IDS") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            Style = style == "chat" ? ApiStyle.Chat : ApiStyle.Responses,
            HistoryMessages = read.Int("OPENAI_HISTORY_MESSAGES", 20, 0, 500),
            MaxOutputTokens = read.Int("OPENAI_MAX_OUTPUT_TOKENS", 800, 16, 128_000),
            MaxVoice = read.Duration("MAX_VOICE_SECONDS", TimeSpan.FromMinutes(5)),
            Debounce = TimeSpan.FromMilliseconds(debounceMs),
            AutoModeResumeAfter = read.OptionalDuration("AUTO_MODE_RESUME_AFTER"),
            ReplyInGroups = read.Bool("AUTO_REPLY_IN_GROUPS", false),
            MaxRetries = read.Int("OPENAI_MAX_RETRIES", 5, 0, 20),
            RetryBase = read.Duration("OPENAI_RETRY_BASE", TimeSpan.FromSeconds(1)),
            RetryMax = read.Duration("OPENAI_RETRY_MAX", TimeSpan.FromSeconds(60)),
            RequestTimeout = read.Duration("OPENAI_TIMEOUT", TimeSpan.FromSeconds(120)),
            TypingInterval = read.Duration("TYPING_INTERVAL", TimeSpan.FromSeconds(4)),
            LegacyAssistantId = read.String("OPENAI_ASSISTANT_ID"),
        };
    }
}

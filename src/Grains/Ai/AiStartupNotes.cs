using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MessengerAutoReply.Ai;

/// <summary>Says once, at start, how the service will answer, and what an obsolete setting means now.</summary>
public sealed partial class AiStartupNotes(AiOptions options, ILogger<AiStartupNotes> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Enabled)
        {
            LogInboxOnly();
        }
        else
        {
            LogEnabled(options.Model, options.Style.ToString(), options.BaseUrl.Host);
        }
        if (options.LegacyAssistantId is not null)
        {
            LogAssistantGone(options.LegacyAssistantId);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "OPENAI_API_KEY is not set: the service runs as an inbox; autoMode can be switched but nothing is answered automatically")]
    private partial void LogInboxOnly();

    [LoggerMessage(Level = LogLevel.Information, Message = "Auto-reply with {Model} over the {Style} API at {Host}")]
    private partial void LogEnabled(string model, string style, string host);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OPENAI_ASSISTANT_ID={AssistantId} is ignored: OpenAI shut the Assistants API down on 2026-08-26. Put the assistant's model in OPENAI_MODEL and its instructions in OPENAI_INSTRUCTIONS (text or @file), and its vector stores in OPENAI_VECTOR_STORE_IDS")]
    private partial void LogAssistantGone(string assistantId);
}

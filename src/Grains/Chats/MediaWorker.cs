using MessengerAutoReply.Ai;
using MessengerAutoReply.Media;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace MessengerAutoReply.Chats;

/// <summary>
/// Fetches a customer's file from its platform into the media store, outside the grain's turn; voice is
/// transcribed and images described on the way (for operators too, whatever autoMode says: decision 8).
/// </summary>
public sealed class MediaWorker(
    IMediaStore store,
    IEnumerable<IMediaFetcher> fetchers,
    IEnumerable<IReplyEngine> engines,
    AiOptions ai,
    ChatWorkRunner runner,
    IOptions<ChatOptions> options,
    [FromKeyedServices(ChatClock.Key)] TimeProvider time)
{
    private readonly IReplyEngine? _engine = engines.FirstOrDefault();

    internal bool Start(IChatWorkReports grain, string chatId, MediaJob job, ChatMessage? message) =>
        runner.TryStart(chatId, async () =>
        {
            var outcome = await FetchAsync(job, message);
            await runner.ReportAsync(chatId, () => grain.MediaCompletedAsync(job.MessageId, outcome));
        });

    private async Task<MediaOutcome> FetchAsync(MediaJob job, ChatMessage? message)
    {
        if (fetchers.FirstOrDefault(f => f.Platform == job.Media.Platform) is not { } fetcher)
        {
            return new MediaOutcome { Error = $"No media fetcher for platform '{job.Media.Platform}'.", Permanent = true };
        }
        try
        {
            using var timeout = new CancellationTokenSource(options.Value.DeliveryTimeout, time);
            var fetched = await fetcher.FetchAsync(job.Media, timeout.Token);
            if (fetched.Content is not { } content)
            {
                return new MediaOutcome { Error = fetched.Unavailable ?? "The file is not available.", Permanent = true };
            }
            var mediaId = job.Media.MediaId;
            await store.SaveAsync(mediaId, content, timeout.Token);
            return new MediaOutcome
            {
                MediaFileId = mediaId,
                FileName = content.FileName,
                MimeType = content.MimeType,
                Content = await UnderstandAsync(message, job.Media, content, timeout.Token),
            };
        }
        catch (Exception ex)
        {
            return new MediaOutcome { Error = ex.Message };
        }
    }

    private async Task<string?> UnderstandAsync(ChatMessage? message, MediaRef media, MediaContent content, CancellationToken cancellationToken)
    {
        if (_engine is null || message is null)
        {
            return null;
        }
        switch (message.Type)
        {
            case MessageTypes.Voice or MessageTypes.Audio:
                if (media.DurationSeconds is { } seconds && TimeSpan.FromSeconds(seconds) > ai.MaxVoice)
                {
                    return message.Content;
                }
                var transcript = await _engine.TranscribeAsync(content, cancellationToken);
                return transcript is null ? message.Content : string.IsNullOrWhiteSpace(message.Content) ? transcript : $"{message.Content}\n\n{transcript}";
            case MessageTypes.Image:
                var description = await _engine.DescribeAsync(content, message.Content, cancellationToken);
                return description is null ? message.Content
                    : string.IsNullOrWhiteSpace(message.Content) ? $"[Image: {description}]" : $"{message.Content}\n\n[Image: {description}]";
            default:
                return null;
        }
    }
}

namespace MessengerAutoReply.Media;

/// <summary>A download went past its byte cap; thrown by <see cref="CappedWriteStream"/> and caught by <see cref="MediaDownloads"/>.</summary>
public sealed class MediaTooLargeException : IOException
{
    public MediaTooLargeException()
    {
    }

    public MediaTooLargeException(string message) : base(message)
    {
    }

    public MediaTooLargeException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public MediaTooLargeException(long limit) : base($"The file is larger than {limit} bytes.")
    {
        Limit = limit;
    }

    public long Limit { get; }

    /// <summary>Whether <paramref name="exception"/> or one of its inner exceptions is a cap being passed (SDKs wrap it).</summary>
    public static bool IsIn(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is MediaTooLargeException)
            {
                return true;
            }
        }
        return false;
    }
}

namespace MessengerAutoReply.Chats;

/// <summary>The workers a chat grain hands its I/O to, one service so the grain takes one dependency for them.</summary>
public sealed record ChatWorkers(DeliveryWorker Delivery, MediaWorker Media, ArchiveWorker Archive, ReplyWorker Replies);

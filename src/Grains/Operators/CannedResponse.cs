namespace MessengerAutoReply.Operators;

/// <summary>A saved reply (issue #17): typed as <c>/shortCode</c> in the console; <c>{{name}}</c> becomes the chat's name there.</summary>
public sealed record CannedResponse(string Id, string ShortCode, string Content, DateTimeOffset Created, DateTimeOffset Updated);

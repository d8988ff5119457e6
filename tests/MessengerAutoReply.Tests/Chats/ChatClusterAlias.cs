// The chat-cluster fixture is ChatClusterFixture now (fixtures are named *Fixture, issue #12). ChatGrainTests is
// being rebuilt with the chat grain on another branch, so it keeps the old name through this alias until then:
// drop the alias when that file says ChatClusterFixture.
global using ChatCluster = MessengerAutoReply.Tests.Infrastructure.ChatClusterFixture;

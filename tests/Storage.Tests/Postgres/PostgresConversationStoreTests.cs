using Conversations.Storage;
using Conversations.Storage.Tests.Store;

namespace Conversations.Storage.Tests.Postgres;

/// <summary>The store contract on PostgreSQL: one fresh database for the class; every test uses its own conversations.</summary>
public sealed class PostgresConversationStoreTests(PostgresFixture fixture) : ConversationStoreContract, IClassFixture<PostgresFixture>
{
    protected override Task<IConversationStore> CreateStoreAsync() => Task.FromResult<IConversationStore>(fixture.Store);
}

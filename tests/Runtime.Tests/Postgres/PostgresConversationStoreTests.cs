using Conversations.Runtime.Store;
using Conversations.Runtime.Tests.Store;

namespace Conversations.Runtime.Tests.Postgres;

/// <summary>The store contract on PostgreSQL: one fresh database for the class; every test uses its own conversations.</summary>
public sealed class PostgresConversationStoreTests(PostgresFixture fixture) : ConversationStoreContract, IClassFixture<PostgresFixture>
{
    protected override Task<IConversationStore> CreateStoreAsync() => Task.FromResult<IConversationStore>(fixture.Store);
}

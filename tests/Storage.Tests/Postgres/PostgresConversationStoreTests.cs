using Conversations.Storage;
using Conversations.Storage.Tests.Store;

namespace Conversations.Storage.Tests.Postgres;

/// <summary>
/// The store contract on PostgreSQL: one fresh database for the class, emptied before every test
/// (xunit runs the tests of one class one at a time).
/// </summary>
public sealed class PostgresConversationStoreTests(PostgresFixture fixture) : ConversationStoreContract, IClassFixture<PostgresFixture>
{
    protected override async Task<IConversationStore> CreateStoreAsync()
    {
        await fixture.TruncateAsync();
        return fixture.Store;
    }

    // Receive and park times are the database's clock_timestamp(); a short pause keeps them apart.
    protected override Task TickAsync() => Task.Delay(2);
}

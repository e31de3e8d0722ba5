using Conversations.Storage;
using Conversations.Storage.Memory;
using Microsoft.Extensions.Options;

namespace Conversations.Storage.Tests.Store;

public sealed class MemoryConversationStoreTests : ConversationStoreContract
{
    protected override Task<IConversationStore> CreateStoreAsync() =>
        Task.FromResult<IConversationStore>(new MemoryConversationStore(Options.Create(new StoreOptions()), TimeProvider.System));
}

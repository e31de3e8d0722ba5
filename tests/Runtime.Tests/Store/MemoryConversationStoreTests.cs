using Conversations.Runtime.Store;
using Conversations.Runtime.Store.Memory;
using Microsoft.Extensions.Options;

namespace Conversations.Runtime.Tests.Store;

public sealed class MemoryConversationStoreTests : ConversationStoreContract
{
    protected override Task<IConversationStore> CreateStoreAsync() =>
        Task.FromResult<IConversationStore>(new MemoryConversationStore(Options.Create(new StoreOptions()), TimeProvider.System));
}

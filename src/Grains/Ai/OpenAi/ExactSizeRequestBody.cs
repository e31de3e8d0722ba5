using System.ClientModel;
using System.ClientModel.Primitives;

namespace Conversations.Grains.Ai.OpenAi;

/// <summary>
/// Sends the OpenAI SDK's request body from an array of its exact size and gives the SDK's serialization buffers back
/// at once.
/// <para>
/// The SDK serializes a request into pooled 16 KiB segments and keeps them until the response is read. An AI call waits
/// seconds, so under load thousands of those segments are live at every garbage collection: the pool cannot keep that
/// many, each one is a new array that survives into the older generations, and the collector copies all of them. A
/// Chat Completions body is a few KiB; holding only that keeps the webhook acknowledgement's GC pauses short.
/// </para>
/// </summary>
public sealed class ExactSizeRequestBody : PipelinePolicy
{
    public static readonly ExactSizeRequestBody Instance = new();

    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        Compact(message.Request);
        ProcessNext(message, pipeline, currentIndex);
    }

    public override ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        Compact(message.Request);
        return ProcessNextAsync(message, pipeline, currentIndex);
    }

    /// <summary>Replaces a body of known length by a copy of it; a body of unknown length (a stream) is left as it is.</summary>
    public static void Compact(PipelineRequest request)
    {
        var content = request.Content;
        if (content is null || !content.TryComputeLength(out var length) || length > Array.MaxLength) return;
        var body = new byte[length];
        using (var copy = new MemoryStream(body, writable: true)) content.WriteTo(copy);
        request.Content = BinaryContent.Create(new BinaryData(body, content.MediaType));
        // Returns the segments to the pool now; the SDK disposes its content again after the response, which then has none.
        content.Dispose();
    }
}

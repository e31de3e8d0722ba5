using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using Conversations.Grains.Ai.OpenAi;

namespace Conversations.Grains.Tests.Ai;

public sealed class ExactSizeRequestBodyTests
{
    [Fact]
    public void A_serialized_model_becomes_an_exact_size_copy_and_the_sdk_content_lets_go_of_its_buffers_at_once()
    {
        // Larger than one of the SDK's 16 KiB serialization segments, so the copy spans segments.
        var model = new TextModel(new string('x', 40_000) + "é");
        using var message = ClientPipeline.Create().CreateMessage();
        var original = new DisposeCounting(BinaryContent.Create(model));
        message.Request.Content = original;

        ExactSizeRequestBody.Compact(message.Request);

        Assert.NotSame(original, message.Request.Content);
        Assert.Equal(1, original.Disposals); // the pooled segments are back before the request is sent
        Assert.True(message.Request.Content!.TryComputeLength(out var length));
        var sent = new MemoryStream();
        message.Request.Content.WriteTo(sent);
        Assert.Equal(length, sent.Length);
        Assert.Equal(model.Text, JsonDocument.Parse(sent.ToArray()).RootElement.GetProperty("text").GetString());
        original.Dispose(); // what the SDK's own using does after the response
    }

    [Fact]
    public void A_body_of_unknown_length_is_left_as_it_is()
    {
        using var message = ClientPipeline.Create().CreateMessage();
        var streamed = new UnknownLengthContent();
        message.Request.Content = streamed;

        ExactSizeRequestBody.Compact(message.Request);

        Assert.Same(streamed, message.Request.Content);
    }

    [Fact]
    public void No_body_stays_no_body()
    {
        using var message = ClientPipeline.Create().CreateMessage();
        ExactSizeRequestBody.Compact(message.Request);
        Assert.Null(message.Request.Content);
    }

    private sealed class TextModel(string text) : IJsonModel<TextModel>
    {
        public string Text { get; } = text;

        public void Write(Utf8JsonWriter writer, ModelReaderWriterOptions options)
        {
            writer.WriteStartObject();
            writer.WriteString("text", Text);
            writer.WriteEndObject();
        }

        public TextModel Create(ref Utf8JsonReader reader, ModelReaderWriterOptions options) =>
            new(JsonDocument.ParseValue(ref reader).RootElement.GetProperty("text").GetString()!);

        public BinaryData Write(ModelReaderWriterOptions options) => ModelReaderWriter.Write(this, options);

        public TextModel Create(BinaryData data, ModelReaderWriterOptions options) =>
            new(JsonDocument.Parse(data).RootElement.GetProperty("text").GetString()!);

        public string GetFormatFromOptions(ModelReaderWriterOptions options) => "J";
    }

    /// <summary>The SDK's content, counting how often it is disposed.</summary>
    private sealed class DisposeCounting(BinaryContent inner) : BinaryContent
    {
        public int Disposals { get; private set; }

        public override bool TryComputeLength(out long length) => inner.TryComputeLength(out length);

        public override void WriteTo(Stream stream, CancellationToken cancellationToken = default) => inner.WriteTo(stream, cancellationToken);

        public override Task WriteToAsync(Stream stream, CancellationToken cancellationToken = default) => inner.WriteToAsync(stream, cancellationToken);

        public override void Dispose()
        {
            Disposals++;
            inner.Dispose();
        }
    }

    private sealed class UnknownLengthContent : BinaryContent
    {
        public override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        public override void WriteTo(Stream stream, CancellationToken cancellationToken = default) => stream.Write("{}"u8);

        public override Task WriteToAsync(Stream stream, CancellationToken cancellationToken = default) => stream.WriteAsync("{}"u8.ToArray(), cancellationToken).AsTask();

        public override void Dispose() { }
    }
}

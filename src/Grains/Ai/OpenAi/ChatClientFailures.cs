using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Http.Headers;

namespace Conversations.Grains.Ai.OpenAi;

/// <summary>
/// The OpenAI SDK's failures (<see cref="ClientResultException"/>) mapped by <see cref="AiHttp.Failure"/>, the
/// classification every HTTP engine's answer gets; a network failure stays an <see cref="HttpRequestException"/>.
/// </summary>
public static class ChatClientFailures
{
    public static Exception Map(ClientResultException failure, TimeProvider time, string engine)
    {
        if (failure.GetRawResponse() is not { } response)
            return failure.InnerException as HttpRequestException ?? new HttpRequestException(failure.Message, failure);
        var headers = response.Headers;
        var retryAfter = headers.TryGetValue("Retry-After", out var value) && RetryConditionHeaderValue.TryParse(value, out var parsed) ? parsed : null;
        return AiHttp.Failure(engine, response.Status, headers.TryGetValue("x-should-retry", out var hint) ? hint : null, Body(response),
            AiHttp.RetryAfter(headers.TryGetValue("retry-after-ms", out var ms) ? ms : null, retryAfter, time));
    }

    /// <summary>The SDK buffers error bodies; one it did not buffer reads as empty.</summary>
    private static string Body(PipelineResponse response)
    {
        try { return response.Content.ToString(); }
        catch (InvalidOperationException) { return ""; }
    }
}

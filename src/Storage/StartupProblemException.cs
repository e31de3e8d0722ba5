namespace Conversations.Storage;

/// <summary>
/// A setting that cannot work (an unusable connection string, a database that cannot be reached at
/// start). The message names the key and says what is wrong in one line; the executables exit 2.
/// </summary>
public sealed class StartupProblemException(string message, Exception? inner = null) : Exception(message, inner);

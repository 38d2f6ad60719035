namespace MLNetVideo.Cli;

/// <summary>A mistake in the user's input (missing folder, unknown model, unreadable zip): printed as one line, exit code 2.</summary>
internal sealed class CliException(string message, Exception? inner = null) : Exception(message, inner);

using System.Runtime.InteropServices;

namespace MLNetVideo.Runtime;

/// <summary>
/// Reads and writes the process's native environment block, the one that libgomp / libiomp read when libtorch loads.
/// On Linux and macOS, .NET's <see cref="Environment.SetEnvironmentVariable(string, string?)"/> only changes a managed
/// copy, so a variable meant for a native library has to go through libc's <c>setenv</c>.
/// </summary>
internal static class NativeEnvironment
{
    /// <summary>The variable's value as native code sees it, or null when unset.</summary>
    public static string? Get(string name)
    {
        if (OperatingSystem.IsWindows())
            return Environment.GetEnvironmentVariable(name);
        try
        {
            var pointer = getenv(name);
            return pointer == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(pointer);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return Environment.GetEnvironmentVariable(name);
        }
    }

    /// <summary>Sets the variable in both the managed and the native environment unless it is already set.</summary>
    /// <returns>True when this call set it.</returns>
    public static bool SetIfUnset(string name, string value)
    {
        if (!string.IsNullOrEmpty(Get(name)) || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name)))
            return false;
        Set(name, value);
        return true;
    }

    /// <summary>Sets the variable in both the managed and the native environment.</summary>
    public static void Set(string name, string value)
    {
        Environment.SetEnvironmentVariable(name, value);
        try
        {
            if (OperatingSystem.IsWindows())
                _ = _putenv_s(name, value); // the C runtime's copy, which libiomp5md reads through getenv
            else
                _ = setenv(name, value, 1);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // No C runtime to write to: the managed copy is all there is.
        }
    }

    // CharSet.Ansi is UTF-8 on Linux and macOS.
    [DllImport("libc", CharSet = CharSet.Ansi, ExactSpelling = true)]
    private static extern IntPtr getenv(string name);

    [DllImport("libc", CharSet = CharSet.Ansi, ExactSpelling = true)]
    private static extern int setenv(string name, string value, int overwrite);

    [DllImport("ucrtbase", EntryPoint = "_wputenv_s", CharSet = CharSet.Unicode, ExactSpelling = true)]
    private static extern int _putenv_s(string name, string value);
}

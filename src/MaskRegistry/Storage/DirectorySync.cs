using System.Runtime.InteropServices;

namespace S3Router.MaskRegistry.Storage;

/// <summary>
/// fsync of a directory, so that a rename into it survives a power loss. .NET refuses to open a directory
/// (File.OpenHandle throws UnauthorizedAccessException), hence libc's <c>open</c> and <c>fsync</c>.
/// </summary>
internal static partial class DirectorySync
{
    private const int ENOENT = 2;
    private const int EINTR = 4;
    private const int ENOTDIR = 20;
    private const int ORdOnly = 0;
    private const int OCloExecLinux = 0x80000;

    /// <summary>Flushes <paramref name="directory"/>'s entries to disk. A no-op on Windows, where there is no directory fsync.</summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="IOException">The path is not a directory, or open/fsync failed.</exception>
    public static void Flush(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var fd = Open(directory, ORdOnly | DirectoryFlag() | (OperatingSystem.IsLinux() ? OCloExecLinux : 0));
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw errno switch
            {
                ENOENT => new DirectoryNotFoundException($"Cannot fsync the directory {directory}: it does not exist."),
                ENOTDIR => new IOException($"Cannot fsync the directory {directory}: it is not a directory."),
                _ => Failure("open", directory, errno),
            };
        }

        try
        {
            while (Fsync(fd) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno != EINTR)
                {
                    throw Failure("fsync", directory, errno);
                }
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    // O_DIRECTORY differs between architectures and systems; it turns "a file where a directory was expected" into ENOTDIR.
    private static int DirectoryFlag() =>
        OperatingSystem.IsLinux()
            ? RuntimeInformation.ProcessArchitecture is Architecture.Arm or Architecture.Arm64 ? 0x4000 : 0x10000
            : OperatingSystem.IsMacOS() ? 0x100000 : 0;

    private static IOException Failure(string call, string directory, int errno) =>
        new($"Cannot fsync the directory {directory}: {call} failed with errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)}).");

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}

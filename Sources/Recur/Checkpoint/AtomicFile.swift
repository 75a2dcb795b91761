import Foundation
#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#endif

/// Writes files so that a reader sees the old contents or the new, never a mix: the bytes go to a
/// temporary file in the same folder, which is flushed to disk (fsync), renamed over the final name,
/// and the folder is flushed so that the rename itself survives a crash.
public enum AtomicFile {
    /// The prefix of temporary files; `removeStaleTemporaries` cleans what a killed writer left.
    public static let temporaryPrefix = ".recur-tmp-"

    public static func write(_ bytes: [UInt8], to url: URL) throws(FileError) {
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(temporaryPrefix + url.lastPathComponent + "-\(getpid())")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw FileError(path: url.path, operation: "create a file in its folder", code: errno) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc_or_Darwin_write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let code = errno
                close(fd)
                unlink(temporary.path)
                throw FileError(path: url.path, operation: "write", code: code)
            }
            written += n
        }
        if fsync(fd) != 0 {
            let code = errno
            close(fd)
            unlink(temporary.path)
            throw FileError(path: url.path, operation: "flush to disk", code: code)
        }
        close(fd)
        if rename(temporary.path, url.path) != 0 {
            let code = errno
            unlink(temporary.path)
            throw FileError(path: url.path, operation: "replace", code: code)
        }
        let folderFD = open(folder.path, O_RDONLY)
        if folderFD >= 0 {
            _ = fsync(folderFD)
            close(folderFD)
        }
    }

    /// Deletes temporary files left in `folder` by writers that were killed mid-write.
    public static func removeStaleTemporaries(in folder: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for name in names where name.hasPrefix(temporaryPrefix) {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
    }
}

@inline(__always)
private func Glibc_or_Darwin_write(_ fd: Int32, _ pointer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, pointer, count)
}

/// A file-system operation that failed, with the system's reason.
public struct FileError: Error, CustomStringConvertible {
    public var path: String
    public var operation: String
    public var code: Int32
    public var description: String {
        "\(path): cannot \(operation): \(String(cString: strerror(code)))"
    }
}

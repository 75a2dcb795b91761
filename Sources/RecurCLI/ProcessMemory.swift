import Foundation

/// The process's peak resident memory (high-water mark).
///
/// On Linux the mark can be reset (writing 5 to /proc/self/clear_refs) and read from VmHWM in
/// /proc/self/status, which gives a peak per benchmark configuration within one process. Elsewhere
/// `getrusage`'s `ru_maxrss` is the peak since the process started.
enum ProcessMemory {
    /// Resets the high-water mark where the system allows it; false where it does not.
    @discardableResult
    static func resetPeak() -> Bool {
        #if os(Linux)
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? handle.close() }
        return (try? handle.write(contentsOf: Data("5".utf8))) != nil
        #else
        return false
        #endif
    }

    /// The peak resident set size in bytes.
    static var peakBytes: Int {
        if let kib = kibibytes(in: "/proc/self/status", key: "VmHWM") { return kib * 1024 }
        var usage = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        #if canImport(Darwin)
        return Int(usage.ru_maxrss)  // bytes on macOS
        #else
        return Int(usage.ru_maxrss) * 1024  // KiB on Linux
        #endif
    }
}

import Foundation

/// How much memory the system can give this process.
enum SystemMemory {
    /// MemAvailable from /proc/meminfo on Linux (what can be allocated without swapping); the physical
    /// memory elsewhere; nil when unknown.
    static var availableBytes: Int? {
        #if os(Linux)
        if let info = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = info.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
           let kib = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) {
            return kib * 1024
        }
        #endif
        let physical = ProcessInfo.processInfo.physicalMemory
        return physical > 0 ? Int(clamping: physical) : nil
    }

    /// Bytes in the largest binary unit that keeps the number at least 1: "3.2 GiB".
    static func format(_ bytes: Double) -> String {
        var value = bytes
        for unit in ["bytes", "KiB", "MiB", "GiB", "TiB"] {
            if value < 1024 || unit == "TiB" { return unit == "bytes" ? "\(Int(value)) bytes" : String(format: "%.1f %@", value, unit) }
            value /= 1024
        }
        return "\(bytes) bytes"
    }
}

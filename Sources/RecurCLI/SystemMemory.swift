import Foundation
import Recur

/// How much memory the system can give this process.
enum SystemMemory {
    /// MemAvailable from /proc/meminfo on Linux (what can be allocated without swapping); the physical
    /// memory elsewhere; nil when unknown.
    static var availableBytes: Int? {
        if let kib = kibibytes(in: "/proc/meminfo", key: "MemAvailable") { return kib * 1024 }
        let physical = ProcessInfo.processInfo.physicalMemory
        return physical > 0 ? Int(clamping: physical) : nil
    }

    /// Throws a UserError, before anything is allocated, when training `configuration` on
    /// `[steps, batch]` chunks would need more memory than is available.
    /// `steps` is named by `stepsName` in the error ("seq-length", or the longest sequence's length).
    static func checkFits(_ configuration: CharRNNConfiguration, batch: Int, steps: Int, stepsName: String = "seq-length") throws {
        let needed = configuration.trainingBytes(batch: batch, steps: steps)
        guard let available = availableBytes, needed > Double(available) else { return }
        let c = configuration
        // Name what makes it large: the weights (--hidden) or the per-step buffers (--batch).
        let weights = configuration.trainingBytes(batch: 1, steps: 1)
        let option = weights > needed / 2 ? "--hidden \(c.hiddenSize)" : "--batch \(batch)"
        throw UserError("\(option): training would need about \(format(needed)) of buffers "
                        + "(batch \(batch) x \(stepsName) \(steps), \(c.layers) x \(c.hiddenSize) \(c.cell.rawValue)), "
                        + "more than the \(format(Double(available))) of memory available; lower --batch, "
                        + (stepsName == "seq-length" ? "--seq-length" : "the \(stepsName)") + " or --hidden")
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

/// The value of a `Key:   N kB` line of a Linux /proc file (meminfo, self/status), in KiB; nil
/// elsewhere or when the key is absent.
func kibibytes(in path: String, key: String) -> Int? {
    #if os(Linux)
    guard let text = try? String(contentsOfFile: path, encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return nil }
    return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
    #else
    return nil
    #endif
}

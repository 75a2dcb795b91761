import Foundation
#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#endif

/// Progress of a long run: a bar redrawn in place on a terminal (stderr), plain lines on stdout
/// every `lineInterval` seconds otherwise.
final class Progress {
    let total: Int
    let isTerminal = isatty(STDERR_FILENO) != 0
    private var lastDraw = Date.distantPast
    private var lastLine = Date()
    let lineInterval: TimeInterval
    /// The throughput's unit: `tok/s`, `ex/s`.
    let rateUnit: String

    init(total: Int, lineInterval: TimeInterval = 10, rateUnit: String = "tok/s") {
        self.total = total
        self.lineInterval = lineInterval
        self.rateUnit = rateUnit
    }

    /// Reports `step` of `total`; the bar is redrawn at most 5 times a second.
    func update(step: Int, loss: Double, tokensPerSecond: Double, secondsLeft: Double) {
        let now = Date()
        if isTerminal {
            guard now.timeIntervalSince(lastDraw) >= 0.2 || step == total else { return }
            lastDraw = now
            let width = 24
            let filled = total > 0 ? min(width, width * step / total) : width
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            let line = String(format: "\r[%@] %d/%d  loss %.4f  %@ %@  ETA %@ ", bar, step, total, loss,
                              Progress.compact(tokensPerSecond), rateUnit, Progress.duration(secondsLeft))
            FileHandle.standardError.write(Data(line.utf8))
        } else if now.timeIntervalSince(lastLine) >= lineInterval || step == total {
            lastLine = now
            print(String(format: "step %d/%d  loss %.4f  %.0f %@  ETA %@", step, total, loss, tokensPerSecond, rateUnit,
                         Progress.duration(secondsLeft)))
            fflush(stdout)
        }
    }

    /// Prints a line of its own (an evaluation, a checkpoint) without breaking the bar.
    func message(_ text: String) {
        if isTerminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        print(text)
        fflush(stdout)
    }

    func finish() {
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    static func compact(_ value: Double) -> String {
        value >= 1000 ? String(format: "%.1fk", value / 1000) : String(format: "%.0f", value)
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%02d:%02d", s / 60, s % 60)
    }
}

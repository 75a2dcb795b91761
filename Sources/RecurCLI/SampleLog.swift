import Foundation
import Recur

/// `samples.jsonl`: what a character model wrote at each checkpoint of its run, one JSON object a
/// line (`{"step": 500, "text": "..."}`), for `recur report`.
enum SampleLog {
    struct Entry: Codable, Equatable {
        var step: Int
        var text: String
    }

    /// Starts the log: a new run starts it empty; a resumed run keeps the entries up to `step` (later
    /// ones belong to work that was not saved).
    static func prepare(_ url: URL, keepingUpTo step: Int, resuming: Bool) throws {
        try JSONLinesFile.rewrite(resuming ? read(url).filter { $0.step <= step } : [], to: url)
    }

    static func append(_ entry: Entry, to url: URL) throws { try JSONLinesFile.append(entry, to: url) }

    /// The entries of a log (none when there is no log); lines that do not parse are skipped.
    static func read(_ url: URL) -> [Entry] { (try? JSONLinesFile.read(url, missingIsEmpty: true)) ?? [] }
}

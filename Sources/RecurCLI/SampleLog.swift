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
        let kept = resuming ? read(url).filter { $0.step <= step } : []
        do {
            try AtomicFile.write(Array(kept.map(line).joined().utf8), to: url)
        } catch {
            throw UserError("\(error)", kind: .ioError)
        }
    }

    static func append(_ entry: Entry, to url: URL) throws {
        guard let handle = FileHandle(forWritingAtPath: url.path) else {
            throw UserError("\(url.path): cannot be opened for writing; check the folder's permissions and free space", kind: .ioError)
        }
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(Data(line(entry).utf8))
    }

    /// The entries of a log; lines that do not parse (a line cut short by a crash) are skipped.
    static func read(_ url: URL) -> [Entry] {
        guard let data = FileManager.default.contents(atPath: url.path) else { return [] }
        let decoder = JSONDecoder()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { try? decoder.decode(Entry.self, from: Data($0.utf8)) }
    }

    private static func line(_ entry: Entry) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try! encoder.encode(entry), as: UTF8.self) + "\n"
    }
}

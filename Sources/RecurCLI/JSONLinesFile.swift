import Foundation
import Recur

/// A log of one JSON object a line (metrics.jsonl, samples.jsonl): read skipping a line a crash cut
/// short, rewritten whole (atomically), appended to one line at a time. Keys sorted.
enum JSONLinesFile {
    /// The entries of `url`; lines that do not parse are skipped. A missing file reads as none when
    /// `missingIsEmpty`, and is an error otherwise.
    static func read<Entry: Decodable>(_ url: URL, as _: Entry.Type = Entry.self, missingIsEmpty: Bool = false) throws -> [Entry] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            if missingIsEmpty && !FileManager.default.fileExists(atPath: url.path) { return [] }
            throw UserError("\(url.path): cannot be read; check its permissions", kind: .ioError)
        }
        let decoder = JSONDecoder()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { try? decoder.decode(Entry.self, from: Data($0.utf8)) }
    }

    /// Replaces the file with `entries`, whole or not at all.
    static func rewrite<Entry: Encodable>(_ entries: [Entry], to url: URL) throws {
        do {
            try AtomicFile.write(Array(entries.map(line).joined().utf8), to: url)
        } catch {
            throw UserError("\(error)", kind: .ioError)
        }
    }

    static func append<Entry: Encodable>(_ entry: Entry, to url: URL) throws {
        guard let handle = FileHandle(forWritingAtPath: url.path) else {
            throw UserError("\(url.path): cannot be opened for writing; check the folder's permissions and free space", kind: .ioError)
        }
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(Data(line(entry).utf8))
    }

    /// One entry as a line, its newline included.
    static func line<Entry: Encodable>(_ entry: Entry) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try! encoder.encode(entry), as: UTF8.self) + "\n"
    }
}

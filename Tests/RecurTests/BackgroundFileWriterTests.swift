import Foundation
import Testing
import Recur

/// The writer `recur train` saves its checkpoints with: files in order with the bytes of the moment
/// they were handed over, and a failure that stops what was queued after it and is reported once.
struct BackgroundFileWriterTests {
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("recur-writer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("files are written in order with the bytes handed over; `then` runs once each file is in place")
    func writesInOrder() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let writer = BackgroundFileWriter()
        let seen = SeenFiles()
        var expected: [(URL, [UInt8])] = []
        for k in 0..<6 {
            // The same name twice: the later bytes must win, as they would written in order.
            let url = folder.appendingPathComponent("file-\(k % 3)")
            var bytes = [UInt8](repeating: UInt8(k), count: 1 << 20)
            bytes[17] = UInt8(255 - k)
            try writer.write(bytes, to: url) { seen.add(url, exists: FileManager.default.fileExists(atPath: url.path)) }
            bytes[0] = 99  // the caller's copy changes; the file keeps what was handed over
            expected.append((url, [UInt8](repeating: UInt8(k), count: 1 << 20)))
            expected[k].1[17] = UInt8(255 - k)
        }
        try writer.finish()
        #expect(seen.all.map(\.url) == expected.map(\.0))
        #expect(seen.all.allSatisfy { $0.exists })
        for (url, bytes) in expected.suffix(3) {
            #expect(try [UInt8](Data(contentsOf: url)) == bytes)
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(names == ["file-0", "file-1", "file-2"])  // no temporary left behind
    }

    @Test("a failed write stops the files queued after it, is thrown once by finish, and the writer goes on afterwards")
    func failureStopsTheQueue() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let writer = BackgroundFileWriter()
        let missing = folder.appendingPathComponent("no-such-folder/model.safetensors")
        let after = folder.appendingPathComponent("after.safetensors")
        // The writer thread waits after a first file until both writes below are queued: otherwise the
        // failure could come first and the second `write` would throw it (the next test's case).
        let queued = DispatchSemaphore(value: 0)
        try writer.write([0], to: folder.appendingPathComponent("first")) { queued.wait() }
        try writer.write([1, 2, 3], to: missing)
        try writer.write([4, 5, 6], to: after)
        queued.signal()
        #expect(throws: FileError.self) { try writer.finish() }
        #expect(!FileManager.default.fileExists(atPath: after.path))
        try writer.finish()  // reported once
        try writer.write([7], to: after)
        try writer.finish()
        #expect(try [UInt8](Data(contentsOf: after)) == [7])
    }

    @Test("a failure found by the next write is thrown there, and nothing of that write is queued")
    func failureThrownByTheNextWrite() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let writer = BackgroundFileWriter()
        try writer.write([1], to: folder.appendingPathComponent("no-such-folder/a"))
        // The failure may not have happened yet when the next write comes; wait until it has.
        let deadline = Date().addingTimeInterval(10)
        var thrown = false
        var k = 0
        while !thrown && Date() < deadline {
            do {
                try writer.write([2], to: folder.appendingPathComponent("later-\(k)"))
                k += 1
                Thread.sleep(forTimeInterval: 0.01)
            } catch {
                thrown = true
            }
        }
        #expect(thrown)
        try writer.finish()
        // Everything queued behind the failed file was skipped, and the throwing write queued nothing.
        #expect(k > 0 || thrown)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }
}

/// The files whose `then` ran, in order, and whether each was in place then.
private final class SeenFiles: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(url: URL, exists: Bool)] = []
    func add(_ url: URL, exists: Bool) {
        lock.lock()
        entries.append((url, exists))
        lock.unlock()
    }
    var all: [(url: URL, exists: Bool)] {
        lock.lock()
        defer { lock.unlock() }
        return entries
    }
}

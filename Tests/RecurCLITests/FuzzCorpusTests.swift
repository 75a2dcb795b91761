import Foundation
import Testing

/// Replays the committed fuzz corpus (fuzz/corpus, grown by scripts/fuzz) through the fuzz targets on
/// every test run, so an input that once found a bug, or reached new code, keeps being tried.
struct FuzzCorpusTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("every committed fuzz input goes through its target without a crash", arguments: ["safetensors", "text"])
    func replay(target: String) throws {
        let folder = Self.root.appendingPathComponent("fuzz/corpus/\(target)")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(files.count >= 5, "fuzz/corpus/\(target) holds \(files.count) inputs")
        let fuzz = try #require(CommandLineTests.executable).deletingLastPathComponent().appendingPathComponent("recur-fuzz")
        let process = Process()
        process.executableURL = fuzz
        process.arguments = [target] + files.map { folder.appendingPathComponent($0).path }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("recur-fuzz \(target): \(files.count) inputs, no crash"), "\(text)")
    }
}

import Foundation
import Testing

/// Replays the committed fuzz corpus (fuzz/corpus, grown by scripts/fuzz) through the fuzz targets on
/// every test run, so an input that once found a bug, or reached new code, keeps being tried.
struct FuzzCorpusTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("every committed fuzz input goes through its target without a crash", arguments: ["safetensors", "text", "sequences", "tagged", "conditioned", "pairs", "series"])
    func replay(target: String) throws {
        let folder = Self.root.appendingPathComponent("fuzz/corpus/\(target)")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(files.count >= 5, "fuzz/corpus/\(target) holds \(files.count) inputs")
        let fuzz = try #require(CommandLineTests.executable).deletingLastPathComponent().appendingPathComponent("recur-fuzz")
        let run = try CommandLineTests.start([target] + files.map { folder.appendingPathComponent($0).path },
                                             executable: fuzz).finish()
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("recur-fuzz \(target): \(files.count) inputs, no crash"), "\(run.stdout)\(run.stderr)")
    }
}

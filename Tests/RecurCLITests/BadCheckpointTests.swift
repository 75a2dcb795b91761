import Foundation
import Testing

/// The committed corpus of broken checkpoints (scripts/make_bad_checkpoints.py writes it; each file has
/// one defect): every command that reads a checkpoint refuses each file with one `error:` line naming
/// the file and the defect, and exit code 2.
struct BadCheckpointTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/bad-checkpoints")

    /// (file, phrase its error line must contain), from expected.tsv.
    static let cases: [(file: String, phrase: String)] = {
        let manifest = (try? String(contentsOf: folder.appendingPathComponent("expected.tsv"), encoding: .utf8)) ?? ""
        return manifest.split(separator: "\n").map { line in
            let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
            return (parts[0], parts.count > 1 ? parts[1] : "")
        }
    }()

    @Test("the corpus holds every defect the reliability table lists")
    func corpusIsThere() {
        #expect(Self.cases.count >= 27)
    }

    @Test("inspect, sample and eval refuse each broken checkpoint with one error line naming the defect",
          arguments: ["inspect", "sample", "eval"])
    func refused(command: String) throws {
        let text = Self.folder.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tests/RecurTests/Fixtures/checkpoints/text.txt").path
        for (file, phrase) in Self.cases {
            let path = Self.folder.appendingPathComponent(file).path
            let arguments = command == "eval" ? [command, path, "--data", text] : [command, path]
            let run = try CommandLineTests.recur(arguments)
            #expect(run.status == 2, "\(command) \(file): exit \(run.status)")
            #expect(run.stderr.hasPrefix("error: \(path): "), "\(command) \(file): \(run.stderr)")
            #expect(run.stderr.contains(phrase), "\(command) \(file): \(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(command) \(file): \(run.stderr)")
            #expect(run.stdout.isEmpty, "\(command) \(file) printed: \(run.stdout)")
        }
    }
}

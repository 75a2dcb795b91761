import Foundation
import Testing

/// `recur export` run as a process: the file it writes is the one the library writes (and that
/// onnxruntime ran, Tests/RecurTests/Fixtures/onnx), and bad requests are refused with one line and no file.
struct ExportCommandTests {
    typealias CLI = CommandLineTests

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("RecurTests/Fixtures/onnx")

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    static func folder() throws -> URL {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("recur-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        return work
    }

    @Test("recur export writes the files onnxruntime ran, for every graph of every task")
    func writesTheFiles() throws {
        let work = try Self.folder()
        for (checkpoint, graph) in [("lm_lstm", "sequence"), ("lm_lstm", "step"), ("classify_gru_mean", "sequence"),
                                    ("tag_lstm_bi", "sequence"), ("forecast_recursive_gru", "sequence"),
                                    ("seq2seq_gru_bahdanau_bi", "encoder"), ("seq2seq_gru_bahdanau_bi", "step")] {
            let out = work.appendingPathComponent("\(checkpoint).\(graph).onnx").path
            let run = try CLI.recur(["export", Self.fixture(checkpoint + ".safetensors"), "--format", "onnx", "--graph", graph, "--out", out])
            #expect(run.status == 0, "\(checkpoint) \(graph): \(run.stderr)")
            #expect(run.stdout.contains("wrote \(out)"), "\(run.stdout)")
            let written = try Data(contentsOf: URL(fileURLWithPath: out))
            let expected = try Data(contentsOf: URL(fileURLWithPath: Self.fixture("\(checkpoint).\(graph).onnx")))
            #expect(written == expected, "\(checkpoint) \(graph): the command's file differs from the fixture")
        }
    }

    @Test("recur export refuses what it cannot write with one error line and writes nothing")
    func refusals() throws {
        let work = try Self.folder()
        let out = work.appendingPathComponent("model.onnx").path
        let cases: [([String], String)] = [
            ([Self.fixture("classify_gru_mean.safetensors"), "--graph", "step"], "is for lm and seq2seq models"),
            ([Self.fixture("forecast_recursive_gru.safetensors"), "--graph", "encoder"], "is for lm and seq2seq models"),
            ([Self.fixture("seq2seq_rnn_none.safetensors")], "--graph encoder and --graph step"),
            ([Self.fixture("lm_gru.safetensors"), "--graph", "encoder"], "has no encoder graph"),
            ([work.appendingPathComponent("missing.safetensors").path], "no such file"),
            ([Self.fixture("lm_gru.sequence.json")], "lm_gru.sequence.json"),
            ([Self.fixture("lm_gru.safetensors"), "--format", "keras"], "keras"),
            ([Self.fixture("lm_gru.safetensors"), "--graph", "decoder"], "decoder"),
        ]
        for (arguments, phrase) in cases {
            try CLI.expectRefused(["export"] + arguments + ["--out", out], phrase: phrase, noFile: out)
        }
        let unwritable = try CLI.recur(["export", Self.fixture("lm_gru.safetensors"), "--out", work.appendingPathComponent("no/such/folder.onnx").path])
        #expect(unwritable.status == 74 && unwritable.stderr.hasPrefix("error: ") && unwritable.stderr.split(separator: "\n").count == 1, "\(unwritable.stderr)")
    }
}

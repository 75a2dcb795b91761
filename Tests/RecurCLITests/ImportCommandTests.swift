import Foundation
import Testing

/// `recur import keras` run as a process on the Keras fixtures (Tests/RecurTests/Fixtures/keras): the
/// checkpoints it writes sample, inspect and export; bad requests get one error line and no file.
struct ImportCommandTests {
    typealias CLI = CommandLineTests

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("RecurTests/Fixtures/keras")

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    @Test("recur import keras writes checkpoints that sample, inspect and export")
    func imports() throws {
        let work = try ExportCommandTests.folder()
        let lm = work.appendingPathComponent("lm.safetensors").path
        var run = try CLI.recur(["import", "keras", Self.fixture("lm_lstm_seed.keras"), "--vocabulary", Self.fixture("lm_lstm_seed.txt"), "--out", lm])
        #expect(run.status == 0 && run.stdout.contains("lm model imported"), "\(run.stderr)")
        run = try CLI.recur(["sample", lm, "--length", "30", "--prime", "First", "--seed", "2"])
        #expect(run.status == 0 && run.stdout.hasPrefix("First") && run.stdout.count >= 30, "\(run.stdout) \(run.stderr)")
        run = try CLI.recur(["inspect", lm])
        #expect(run.stdout.contains("lstm, 1 layer x 12 hidden, embedding 8, vocabulary 27"), "\(run.stdout)")
        let tagger = work.appendingPathComponent("tag.safetensors").path
        run = try CLI.recur(["import", "keras", Self.fixture("tag_bilstm_stacked.weights.h5"), "--task", "tag", "--labels", "O,B,I,X", "--out", tagger])
        #expect(run.status == 0, "\(run.stderr)")
        run = try CLI.recur(["inspect", tagger])
        #expect(run.stdout.contains("tag, lstm, 2 layers x 6 hidden, bidirectional") && run.stdout.contains("tags (4): O, B, I, X"), "\(run.stdout)")
        run = try CLI.recur(["export", tagger, "--out", work.appendingPathComponent("tag.onnx").path])
        #expect(run.status == 0, "\(run.stderr)")
    }

    @Test("recur import keras refuses what it cannot import with one error line and writes nothing")
    func refusals() throws {
        let work = try ExportCommandTests.folder()
        let out = work.appendingPathComponent("model.safetensors").path
        let cases: [([String], String)] = [
            ([Self.fixture("refuse_gru_reset_before.keras")], "reset_after=False"),
            ([Self.fixture("lm_lstm_seed.keras")], "give --vocabulary"),
            ([Self.fixture("lm_lstm_seed.weights.h5"), "--vocabulary", Self.fixture("lm_lstm_seed.txt")], "give --task"),
            ([Self.fixture("classify_lstm_no_bias.keras"), "--labels", "a,b,c"], "2 outputs but 3 labels"),
            ([Self.fixture("classify_lstm_no_bias.keras"), "--task", "tag"], "return_sequences=False"),
            ([Self.fixture("classify_lstm_no_bias.keras"), "--task", "classify", "--vocabulary", Self.fixture("lm_lstm_seed.txt")], "--vocabulary is for --task lm"),
            ([Self.fixture("lm_lstm_seed.txt")], "neither a .keras file nor"),
            ([Self.fixture("lm_gru_stacked.keras"), "--vocabulary", Self.fixture("lm_gru_stacked.txt"), "--labels", "a,b"], "labels are for a classifier"),
            ([Self.fixture("classify_lstm_no_bias.keras"), "--vocabulary", Self.fixture("lm_gru_stacked.txt")], "--vocabulary is for a language model"),
            ([work.appendingPathComponent("missing.keras").path], "no such file"),
        ]
        for (arguments, phrase) in cases {
            try CLI.expectRefused(["import", "keras"] + arguments + ["--out", out], phrase: phrase, noFile: out)
        }
        let format = try CLI.recur(["import", "onnx", Self.fixture("lm_lstm_seed.keras"), "--out", out])
        #expect(format.status == 64 && format.stderr.split(separator: "\n").count == 1, "\(format.stderr)")
    }
}

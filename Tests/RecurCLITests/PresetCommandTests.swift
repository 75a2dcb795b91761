import Foundation
import Testing

/// `recur train --preset seed-keras` and `--batching chunks` run as processes.
struct PresetCommandTests {
    typealias CLI = CommandLineTests

    /// The `training.settings` JSON of a checkpoint.
    static func settings(_ url: URL) throws -> [String: Any] {
        let header = try TrainingCommandTests.header(url).header
        let metadata = try #require(header["__metadata__"] as? [String: String])
        let json = try #require(metadata["training.settings"])
        return try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    @Test("--preset seed-keras sets the article's recipe (options given override it), one bias per gate, and a run stopped and resumed across an epoch's end ends as one run straight through")
    func seedKerasPreset() throws {
        let (work, data) = try TrainingCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        // Small enough to run here: the preset's model, batch and length overridden, the rest kept.
        let options = ["--preset", "seed-keras", "--data", data.path, "--hidden", "24", "--embedding", "8", "--batch", "12",
                       "--seq-length", "20", "--checkpoint-every", "3"]
        let out = work.appendingPathComponent("run")
        let run = try CLI.recur(["train", "--out", out.path, "--steps", "3"] + options)
        #expect(run.status == 0, "\(run.stderr)")
        // Keras's count: embedding V*8, LSTM 4*(24*(8+24)+24) with one bias, Dense 24*V+V.
        let vocabulary = Set(TrainingCommandTests.text.unicodeScalars).count
        let expected = vocabulary * 8 + 4 * (24 * (8 + 24) + 24) + 24 * vocabulary + vocabulary
        #expect(run.stdout.contains("lstm 1x24, embedding 8, \(expected) parameters") && run.stdout.contains("shuffled chunks"), "\(run.stdout)")
        let s = try Self.settings(out.appendingPathComponent("model.safetensors"))
        #expect(s["batching"] as? String == "chunks" && s["shuffleBuffer"] as? Int == 10000 && s["oneBias"] as? Bool == true)
        #expect(s["optimizer"] as? String == "keras-adam" && s["initialization"] as? String == "keras-glorot")
        #expect(s["clip"] as? Double == 0 && s["valFraction"] as? Double == 0 && s["lr"] as? Double == 0.001 && s["layers"] as? Int == 1)
        #expect(s["hidden"] as? Int == 24 && s["batch"] as? Int == 12 && s["seqLength"] as? Int == 20)
        let tensors = try TrainingCommandTests.tensorBytes(out.appendingPathComponent("model.safetensors"))
        #expect(try #require(tensors["rnn.bias_hh_l0"]).allSatisfy { $0 == 0 }, "bias_hh must stay zero")
        #expect(try #require(tensors["rnn.bias_ih_l0"]).contains { $0 != 0 })
        // Unchanged defaults of the preset, without overrides: the article's sizes.
        let full = try CLI.recur(["train", "--preset", "seed-keras", "--data", data.path, "--out", work.appendingPathComponent("full").path,
                                  "--steps", "1", "--batch", "2"])
        #expect(full.status == 0 && full.stdout.contains("lstm 1x1024, embedding 256"), "\(full.stdout) \(full.stderr)")
        // Exact resume, across an epoch's end (the text makes 13 batches of 12 chunks): the chunk order of
        // every epoch and the carried state come back.
        let resumed = try CLI.recur(["train", "--out", out.path, "--steps", "17", "--resume"] + options)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("13 steps per epoch"), "\(resumed.stdout)")
        let straight = work.appendingPathComponent("straight")
        #expect(try CLI.recur(["train", "--out", straight.path, "--steps", "17"] + options).status == 0)
        for name in ["model.safetensors", "training.safetensors"] {
            let a = try TrainingCommandTests.tensorBytes(out.appendingPathComponent(name))
            let b = try TrainingCommandTests.tensorBytes(straight.appendingPathComponent(name))
            #expect(a.count >= 7 && a == b, "\(name): \(a.keys.filter { a[$0] != b[$0] }.sorted()) differ after resume")
        }
        // The preset belongs to a character model of a text.
        try TrainingCommandTests.expectRefused(["--task", "classify", "--preset", "seed-keras", "--data", data.path],
                                               out: work.appendingPathComponent("refused"), phrase: "--preset")
        let bad = try CLI.recur(["train", "--batching", "random", "--data", data.path, "--out", work.appendingPathComponent("bad").path])
        #expect(bad.status == 64 && bad.stderr.contains("--batching"), "\(bad.stderr)")
    }
}

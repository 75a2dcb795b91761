import Foundation
import Testing

/// `recur train`, `sample`, `eval` and `inspect` run as processes on a small text.
struct TrainingCommandTests {
    typealias CLI = CommandLineTests

    static let text = String(repeating: "To be, or not to be, that is the question. Whether 'tis nobler in the mind to suffer. ", count: 40)

    /// A fresh temporary folder holding the training text; the caller removes it.
    static func workspace() throws -> (folder: URL, text: URL) {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("recur-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let data = work.appendingPathComponent("text.txt")
        try Data(text.utf8).write(to: data)
        return (work, data)
    }

    static let small = ["--hidden", "16", "--layers", "2", "--embedding", "8", "--batch", "4", "--seq-length", "16",
                        "--eval-every", "5", "--checkpoint-every", "4", "--dropout", "0.1"]

    /// A safetensors file's bytes, its header's length and its JSON header.
    static func header(_ url: URL) throws -> (bytes: [UInt8], length: Int, header: [String: Any]) {
        let bytes = [UInt8](try Data(contentsOf: url))
        let length = Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        return (bytes, length, try #require(try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + length)])) as? [String: Any]))
    }

    /// The tensor bytes of a safetensors file, by name (metadata left out).
    static func tensorBytes(_ url: URL) throws -> [String: [UInt8]] {
        let (bytes, length, header) = try Self.header(url)
        var tensors: [String: [UInt8]] = [:]
        for (name, entry) in header where name != "__metadata__" {
            let offsets = try #require((entry as? [String: Any])?["data_offsets"] as? [Int])
            tensors[name] = Array(bytes[(8 + length + offsets[0])..<(8 + length + offsets[1])])
        }
        return tensors
    }

    @Test("train, then sample, eval and inspect the checkpoint")
    func trainSampleEvalInspect() throws {
        let (work, data) = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let out = work.appendingPathComponent("run")
        let train = try CLI.recur(["train", "--data", data.path, "--out", out.path, "--steps", "12"] + Self.small)
        #expect(train.status == 0, "\(train.stderr)")
        for name in ["model.safetensors", "best.safetensors", "training.safetensors", "metrics.jsonl", "loss.svg"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), "\(name)")
        }
        let metrics = try String(decoding: Data(contentsOf: out.appendingPathComponent("metrics.jsonl")), as: UTF8.self)
        let lines = metrics.split(separator: "\n")
        #expect(lines.count == 3)  // a record every 10 steps and at each evaluation: steps 5, 10, 12
        #expect(lines.last!.contains("\"step\":12") && lines.last!.contains("\"val_bpc\""))
        let svg = try String(decoding: Data(contentsOf: out.appendingPathComponent("loss.svg")), as: UTF8.self)
        #expect(svg.hasPrefix("<svg") && svg.contains("polyline"))

        let model = out.appendingPathComponent("model.safetensors").path
        let sample = try CLI.recur(["sample", model, "--length", "50", "--seed", "1", "--prime", "To be"])
        #expect(sample.status == 0, "\(sample.stderr)")
        #expect(sample.stdout.hasPrefix("To be") && sample.stdout.unicodeScalars.count == 5 + 50 + 1)
        let again = try CLI.recur(["sample", model, "--length", "50", "--seed", "1", "--prime", "To be"])
        #expect(again.stdout == sample.stdout)
        let nucleus = try CLI.recur(["sample", model, "--length", "20", "--top-p", "0.5", "--top-k", "3", "--temperature", "0.7"])
        #expect(nucleus.status == 0)

        let eval = try CLI.recur(["eval", model, "--data", data.path, "--json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        #expect(eval.stdout.split(separator: "\n").count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        #expect(object["task"] as? String == "lm")
        #expect(object["chars"] as? Int == Self.text.unicodeScalars.count - 1)
        let nats = try #require(object["loss_nats"] as? Double), bits = try #require(object["bits_per_char"] as? Double)
        let perplexity = try #require(object["perplexity"] as? Double)
        #expect(abs(bits - nats / Foundation.log(2)) < 1e-9 && abs(perplexity - Foundation.exp(nats)) < 1e-6)

        let inspect = try CLI.recur(["inspect", model])
        #expect(inspect.status == 0)
        for phrase in ["lstm, 2 layers x 16 hidden", "step: 12", "rnn.weight_hh_l1", "total parameters", "validation loss"] {
            #expect(inspect.stdout.contains(phrase), "\(phrase)")
        }
    }

    @Test("N steps + --resume + N steps equals 2N steps bit for bit, for every optimiser and cell",
          arguments: ["adam", "adamw", "rmsprop", "sgd", "adagrad"], ["lstm", "gru", "rnn", "rnn_relu"])
    func exactResume(optimizer: String, cell: String) throws {
        let (work, data) = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let straight = work.appendingPathComponent("straight"), resumed = work.appendingPathComponent("resumed")
        let common = ["--data", data.path, "--threads", "2", "--optimizer", optimizer, "--cell", cell] + Self.small
        #expect(try CLI.recur(["train", "--out", straight.path, "--steps", "14"] + common).status == 0)
        #expect(try CLI.recur(["train", "--out", resumed.path, "--steps", "7"] + common).status == 0)
        let continued = try CLI.recur(["train", "--data", data.path, "--out", resumed.path, "--steps", "14", "--resume",
                                       "--threads", "2", "--eval-every", "5", "--checkpoint-every", "4"])
        #expect(continued.status == 0, "\(continued.stderr)")
        #expect(continued.stdout.contains("resuming at step 7 of 14"))
        for name in ["model.safetensors", "training.safetensors"] {
            let a = try Self.tensorBytes(straight.appendingPathComponent(name))
            let b = try Self.tensorBytes(resumed.appendingPathComponent(name))
            #expect(a.count == b.count && a.count >= 11)
            #expect(a == b, "\(name) differs after resume")
        }
    }

    /// The `step` metadata of a safetensors file, or nil while it does not exist or has none.
    static func savedStep(_ url: URL) -> Int? {
        guard let bytes = try? [UInt8](Data(contentsOf: url)), bytes.count >= 8 else { return nil }
        let length = Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        guard bytes.count >= 8 + length,
              let header = try? JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + length)])) as? [String: Any],
              let metadata = header["__metadata__"] as? [String: String] else { return nil }
        return metadata["training.step"].flatMap(Int.init)
    }

    /// Starts `recur train` into `out` and kills it with SIGKILL once its training checkpoint has reached
    /// `step` (or after a minute); returns the step of the checkpoint left behind.
    static func killAfterCheckpoint(_ arguments: [String], out: URL, atLeast step: Int,
                                    sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
        let training = try CLI.start(["train", "--out", out.path] + arguments)
        let file = out.appendingPathComponent("training.safetensors")
        let deadline = Date().addingTimeInterval(60)
        while (savedStep(file) ?? 0) < step && Date() < deadline && training.process.isRunning {
            Thread.sleep(forTimeInterval: 0.01)
        }
        kill(training.process.processIdentifier, SIGKILL)
        let killed = training.finish()
        #expect(killed.status == SIGKILL, "the run was not killed: \(killed.status) \(killed.stderr)", sourceLocation: sourceLocation)
        return try #require(savedStep(file), "no checkpoint was written", sourceLocation: sourceLocation)
    }

    /// Trains `--steps target` straight through into a new folder and expects the tensors of `resumed`
    /// (model and training state) to equal its own bit for bit.
    static func expectEqualsStraightRun(_ resumed: URL, target: Int, options: [String], in work: URL, holding tensor: String? = nil,
                                        sourceLocation: SourceLocation = #_sourceLocation) throws {
        let straight = work.appendingPathComponent("straight-\(target)")
        let run = try CLI.recur(["train", "--out", straight.path, "--steps", String(target)] + options)
        #expect(run.status == 0, "\(run.stderr)", sourceLocation: sourceLocation)
        for name in ["model.safetensors", "training.safetensors"] {
            let a = try Self.tensorBytes(straight.appendingPathComponent(name))
            let b = try Self.tensorBytes(resumed.appendingPathComponent(name))
            #expect(a.count == b.count && a.count >= 11, "\(name)", sourceLocation: sourceLocation)
            if let tensor { #expect(a.keys.contains(tensor), "\(name) has no \(tensor)", sourceLocation: sourceLocation) }
            let differing = a.keys.filter { a[$0] != b[$0] }.sorted()
            #expect(differing.isEmpty, "\(name): \(differing.count) tensors differ after resume, e.g. \(differing.prefix(3))",
                    sourceLocation: sourceLocation)
        }
    }

    /// A run of `options` (which checkpoint every 3 steps) killed with SIGKILL after its checkpoint of step
    /// 6 or later, resumed to 7 steps past that, must equal the run trained straight there, tensor by tensor.
    /// Returns the resumed run's folder and the step it reached.
    @discardableResult
    static func expectKilledRunResumesExactly(_ options: [String], in work: URL, holding tensor: String? = nil,
                                              sourceLocation: SourceLocation = #_sourceLocation) throws -> (out: URL, step: Int) {
        let killed = work.appendingPathComponent("killed")
        let step = try killAfterCheckpoint(["--steps", "100000"] + options, out: killed, atLeast: 6, sourceLocation: sourceLocation)
        #expect(step >= 6 && step % 3 == 0, "step \(step)", sourceLocation: sourceLocation)
        let target = step + 7
        let continued = try CLI.recur(["train", "--out", killed.path, "--steps", String(target), "--resume"] + options)
        #expect(continued.status == 0, "\(continued.stderr)", sourceLocation: sourceLocation)
        try expectEqualsStraightRun(killed, target: target, options: options, in: work, holding: tensor, sourceLocation: sourceLocation)
        return (killed, target)
    }

    /// `recur train` with `arguments` (its --out included as `out`) must fail with exit 2 and one
    /// `error:` line containing `phrase`, leaving no --out folder.
    static func expectRefused(_ arguments: [String], out: URL, phrase: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let run = try CLI.recur(["train", "--out", out.path] + arguments)
        #expect(run.status == 2, "\(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.stderr.hasPrefix("error: ") && run.stderr.contains(phrase), "\(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.stderr.split(separator: "\n").count == 1, sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: out.path), sourceLocation: sourceLocation)
    }

    @Test("SIGKILL after a periodic checkpoint, then --resume, equals the uninterrupted run bit for bit (dropout on)",
          arguments: [("lstm", "adam"), ("gru", "rmsprop"), ("rnn", "sgd")])
    func killedAtPeriodicCheckpoint(cell: String, optimizer: String) throws {
        let (work, data) = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let out = work.appendingPathComponent("run")
        let options = ["--data", data.path, "--threads", "1", "--cell", cell, "--optimizer", optimizer, "--dropout", "0.3",
                       "--hidden", "24", "--layers", "2", "--embedding", "8", "--batch", "4", "--seq-length", "16",
                       "--eval-every", "7", "--checkpoint-every", "4"]
        let step = try Self.killAfterCheckpoint(["--steps", "100000"] + options, out: out, atLeast: 4)
        #expect(step >= 4 && step % 4 == 0, "step \(step) is not a periodic checkpoint")
        let target = step + 6
        let resumed = try CLI.recur(["train", "--out", out.path, "--steps", String(target), "--resume"] + options)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("resuming at step \(step) of \(target)"))
        try Self.expectEqualsStraightRun(out, target: target, options: options, in: work)
    }

    @Test("--resume-from best continues from the best validation step to the very tensors of an uninterrupted run")
    func resumeFromBest() throws {
        let (work, data) = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let out = work.appendingPathComponent("run")
        let options = ["--data", data.path, "--threads", "1", "--lr", "0.01"] + Self.small
        let first = try CLI.recur(["train", "--out", out.path, "--steps", "12"] + options)
        #expect(first.status == 0, "\(first.stderr)")
        let best = try #require(Self.savedStep(out.appendingPathComponent("best-training.safetensors")))
        #expect([5, 10, 12].contains(best), "best at step \(best)")  // validation at 5, 10 and the last step
        let resumed = try CLI.recur(["train", "--out", out.path, "--steps", "16", "--resume-from", "best"] + options)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("resuming at step \(best) of 16"))
        try Self.expectEqualsStraightRun(out, target: 16, options: options, in: work)

        let fresh = work.appendingPathComponent("fresh")
        let noBest = try CLI.recur(["train", "--out", fresh.path, "--steps", "3", "--val-fraction", "0"] + options)
        #expect(noBest.status == 0)
        let refused = try CLI.recur(["train", "--out", fresh.path, "--steps", "6", "--resume-from", "best", "--val-fraction", "0"] + options)
        #expect(refused.status == 66 && refused.stderr.hasPrefix("error: --out") && refused.stderr.contains("no best checkpoint"),
                "\(refused.status) \(refused.stderr)")
    }

    @Test("Ctrl-C saves a checkpoint and exits with 130; --resume continues it to the very tensors of an uninterrupted run")
    func interrupt() throws {
        let (work, data) = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let out = work.appendingPathComponent("run")
        let options = ["--data", data.path, "--threads", "1", "--checkpoint-every", "1000000"] + Self.small.dropLast(4)
            + ["--dropout", "0.2"]
        let training = try CLI.start(["train", "--out", out.path, "--steps", "1000000"] + options)
        Thread.sleep(forTimeInterval: 2)
        training.process.interrupt()
        let run = training.finish()
        #expect(run.status == 130, "\(run.stderr)")
        #expect(run.stderr.contains("interrupted at step") && run.stderr.contains("--resume"))
        let inspect = try CLI.recur(["inspect", out.appendingPathComponent("model.safetensors").path])
        #expect(inspect.status == 0)
        let step = try #require(Self.savedStep(out.appendingPathComponent("training.safetensors")))
        #expect(run.stderr.contains("interrupted at step \(step) of"), "\(run.stderr)")

        let refused = try CLI.recur(["train", "--out", out.path, "--steps", "1000000", "--resume", "--epochs", "1"] + options)
        #expect(refused.status == 2)  // --steps and --epochs together: refused before anything is touched
        #expect(refused.stderr.hasPrefix("error: --epochs and --steps"))

        let target = step + 5
        let resumed = try CLI.recur(["train", "--out", out.path, "--steps", String(target), "--resume"] + options)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("resuming at step \(step) of \(target)"))
        try Self.expectEqualsStraightRun(out, target: target, options: options, in: work)
    }

    @Test("bad training input gets one error line", arguments: [
        (["--hidden", "0"], "error: --hidden: must be an integer in 1...16384, got 0"),
        (["--lr", "nan"], "error: --lr: must be a number in (0, 10], got nan"),
        (["--dropout", "1"], "error: --dropout: must be a number in [0, 1), got 1.0"),
        (["--cell", "transformer"], "error: The value 'transformer' is invalid for '--cell <cell>'. Please provide one of 'lstm', 'gru', 'rnn', 'rnn_tanh' or 'rnn_relu'; see 'recur --help'"),
        (["--optimizer", "lbfgs"], "error: The value 'lbfgs' is invalid for '--optimizer <optimizer>'"),
        (["--batch", "100000"], "error: --batch: must be an integer in 1...65536, got 100000"),
        (["--seq-length", "5000"], "cannot fill one batch of 64 x 5000"),
        (["--resume"], "holds no run to resume"),
        (["--batch", "65536", "--seq-length", "2000", "--hidden", "4096"],
         "error: --batch 65536: training would need about 60.7 TiB of buffers (batch 65536 x seq-length 2000, 2 x 4096 lstm), more than the"),
        (["--on-nonfinite", "ignore"], "error: The value 'ignore' is invalid for '--on-nonfinite <on-nonfinite>'. Please provide one of 'stop' and 'skip'"),
    ])
    func badTrainingInput(options: [String], expected: String) throws {
        let (work, data) = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let out = work.appendingPathComponent("run")
        let run = try CLI.recur(["train", "--data", data.path, "--out", out.path] + options)
        // A missing run is a missing input; a value outside an option's choices is a usage error.
        #expect(run.status == (options == ["--resume"] ? 66 : run.stderr.contains("is invalid for") ? 64 : 2))
        #expect(!FileManager.default.fileExists(atPath: out.path), "a refused run left \(out.path) behind")
        #expect(run.stderr.contains(expected), "\(run.stderr)")
        #expect(run.stderr.hasPrefix("error: ") && run.stderr.split(separator: "\n").count == 1)
    }

    @Test("bad sampling and evaluation input gets one error line")
    func badSamplingInput() throws {
        let model = try CheckpointFixture.model()
        let cases: [([String], String)] = [
            (["sample", model, "--temperature", "0"], "error: --temperature: must be a number in (0, 100], got 0.0"),
            (["sample", model, "--top-p", "1.5"], "error: --top-p: must be a number in (0, 1], got 1.5"),
            (["sample", model, "--prime", "Zebra"], "error: --prime: has 1 character outside the model's vocabulary: 'Z' (U+5A); the first at position 0"),
            (["sample", "/nonexistent.safetensors"], "error: /nonexistent.safetensors: no such file"),
            (["eval", model, "--data", "/nonexistent.txt"], "error: /nonexistent.txt: no such file"),
            (["inspect", "/"], "error: /: is a folder"),
        ]
        for (arguments, expected) in cases {
            let run = try CLI.recur(arguments)
            #expect(run.status == (expected.contains("no such file") ? 66 : 2), "\(arguments)")
            #expect(run.stderr.hasPrefix(expected), "\(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1)
        }
    }
}

/// The path of a small committed checkpoint (the interoperability fixture, found from this file).
enum CheckpointFixture {
    static func model() throws -> String {
        let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        let path = tests.appendingPathComponent("RecurTests/Fixtures/checkpoints/recur_lstm.safetensors").path
        #expect(FileManager.default.fileExists(atPath: path))
        return path
    }
}

extension TrainingCommandTests {
    @Test("an exploding loss stops training with exit code 3, keeps the last checkpoint, and resumes with a lower --lr")
    func divergence() throws {
        let (work, data) = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let out = work.appendingPathComponent("run")
        let options = ["--data", data.path, "--out", out.path, "--hidden", "16", "--layers", "1", "--embedding", "8",
                       "--batch", "4", "--seq-length", "16", "--checkpoint-every", "2", "--cell", "rnn_relu"]
        let run = try CLI.recur(["train", "--steps", "40", "--optimizer", "sgd", "--lr", "10", "--clip", "0"] + options)
        #expect(run.status == 3)
        #expect(run.stderr.hasPrefix("error: --data \(data.path): training diverged: loss "), "\(run.stderr)")
        #expect(run.stderr.contains("exceeds 3x the first loss") && run.stderr.contains("(step 5)"))
        // The step-4 checkpoint was due, but step 5's loss showed its weights bad: step 2's stays.
        #expect(run.stderr.contains("model.safetensors (step 2) is the last good checkpoint"))
        #expect(run.stderr.split(separator: "\n").count == 1)
        let inspect = try CLI.recur(["inspect", out.appendingPathComponent("model.safetensors").path])
        #expect(inspect.stdout.contains("step: 2"))
        // The remedy the message names: resume with a lower learning rate.
        let resumed = try CLI.recur(["train", "--steps", "12", "--optimizer", "sgd", "--lr", "0.1", "--clip", "0", "--resume"] + options)
        #expect(resumed.status == 0, "\(resumed.stderr)")

        let skipping = work.appendingPathComponent("skip")
        let skip = try CLI.recur(["train", "--steps", "12", "--optimizer", "sgd", "--lr", "10", "--clip", "0",
                                  "--on-nonfinite", "skip"] + options.map { $0 == out.path ? skipping.path : $0 })
        #expect(skip.status == 0, "\(skip.stderr)")
        #expect(skip.stdout.contains("batch skipped"))
        let bad = try CLI.recur(["train", "--on-nonfinite", "ignore"] + options)
        #expect(bad.status == 64 && bad.stderr.hasPrefix("error: The value 'ignore' is invalid for '--on-nonfinite <on-nonfinite>'"))
    }
}

extension TrainingCommandTests {
    @Test("a checkpoint that cannot be written (file-size limit, as on a full disk) leaves the previous one intact")
    func writeFailure() throws {
        let (work, data) = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let out = work.appendingPathComponent("run")
        let options = ["--data", data.path, "--out", out.path] + Self.small
        #expect(try CLI.recur(["train", "--steps", "4"] + options).status == 0)
        let names = ["model.safetensors", "training.safetensors", "best.safetensors"]
        let before = try names.map { try Data(contentsOf: out.appendingPathComponent($0)) }
        // 8 KiB: less than one checkpoint (about 20 KB), more than the metrics written so far.
        let quoted = (["train", "--steps", "8", "--resume"] + options).map { "'\($0)'" }.joined(separator: " ")
        let executable = try #require(CLI.executable).path
        let run = try CLI.start(["-c", "ulimit -f 16 && exec '\(executable)' \(quoted)"],
                                executable: URL(fileURLWithPath: "/bin/sh")).finish()
        let stderr = run.stderr
        #expect(run.status == 74, "\(stderr)")  // an I/O error
        #expect(stderr.hasPrefix("error: ") && stderr.contains("File too large"), "\(stderr)")
        #expect(stderr.split(separator: "\n").count == 1, "\(stderr)")
        for (name, old) in zip(names, before) {
            #expect(try Data(contentsOf: out.appendingPathComponent(name)) == old, "\(name) changed")
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasPrefix(".recur-tmp-") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
        // The run still resumes once the limit is gone.
        #expect(try CLI.recur(["train", "--steps", "8", "--resume"] + options).status == 0)
    }
}

extension TrainingCommandTests {
    @Test("a second Ctrl-C exits at once with 130 and leaves the last good checkpoint as it was")
    func secondInterrupt() throws {
        let (work, data) = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let out = work.appendingPathComponent("run")
        // A model whose steps take hundreds of milliseconds (debug build), so that both signals land inside
        // one step even on a loaded machine.
        let options = ["--data", data.path, "--out", out.path, "--checkpoint-every", "1000000", "--eval-every", "1000000",
                       "--hidden", "256", "--layers", "2", "--batch", "16", "--seq-length", "64"]
        #expect(try CLI.recur(["train", "--steps", "3"] + options).status == 0)
        let before = try Data(contentsOf: out.appendingPathComponent("model.safetensors"))
        let training = try CLI.start(["train", "--steps", "1000000", "--resume"] + options)
        let process = training.process
        // Wait until training runs (the checkpoint is loaded and Ctrl-C is handled), then a little more.
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("resuming at step") {
            let chunk = training.stdout.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += chunk
        }
        Thread.sleep(forTimeInterval: 0.5)
        process.interrupt()
        // Once the first is handled (its notice is on stderr), the second comes within the same step:
        // nothing is saved. (Two signals sent at once would merge into one.)
        var errors = Data()
        while !String(decoding: errors, as: UTF8.self).contains("press Ctrl-C again") {
            let chunk = training.stderr.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            errors += chunk
        }
        process.interrupt()
        let run = training.finish()
        #expect(run.status == 130, "\(run.stderr)")
        #expect(!(String(decoding: errors, as: UTF8.self) + run.stderr).contains("saved "), "\(run.stderr)")
        #expect(try Data(contentsOf: out.appendingPathComponent("model.safetensors")) == before)
        #expect(try CLI.recur(["inspect", out.appendingPathComponent("model.safetensors").path]).status == 0)
    }
}

extension TrainingCommandTests {
    @Test("an --out that is a file, or a folder that cannot be created, is refused and nothing is written")
    func badOutput() throws {
        let (work, data) = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let file = work.appendingPathComponent("a-file")
        try Data("keep me".utf8).write(to: file)
        let onFile = try CLI.recur(["train", "--data", data.path, "--out", file.path] + Self.small)
        #expect(onFile.status == 2)
        #expect(onFile.stderr.hasPrefix("error: --out \(file.path): is a file, not a folder"), "\(onFile.stderr)")
        #expect(try Data(contentsOf: file) == Data("keep me".utf8))
        // /proc refuses new folders even to root: an unwritable place on every Linux machine.
        #if os(Linux)
        let unwritable = try CLI.recur(["train", "--data", data.path, "--out", "/proc/recur-run"] + Self.small)
        #expect(unwritable.status == 74)
        #expect(unwritable.stderr.hasPrefix("error: --out /proc/recur-run: cannot be created"), "\(unwritable.stderr)")
        #expect(unwritable.stderr.split(separator: "\n").count == 1)
        #endif
    }
}
